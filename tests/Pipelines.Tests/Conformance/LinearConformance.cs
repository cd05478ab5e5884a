using System.Text.Json;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// Every case of <c>linear.safetensors</c>, found from the file's metadata and key prefixes, checked
/// against PyTorch's float64 answers: forward <c>y</c>, and <c>dx</c>, <c>dweight</c>, <c>dbias</c>.
/// </summary>
public sealed class LinearConformance
{
    private const string FileName = "linear.safetensors";

    public static TheoryData<string> Cases()
    {
        var file = GoldenFiles.Load(FileName);
        var data = new TheoryData<string>();
        foreach (var name in GoldenFiles.CasePrefixes(file))
            data.Add(name);
        return data;
    }

    [Fact]
    public void Every_case_in_the_metadata_has_its_tensors_and_the_reverse()
    {
        var file = GoldenFiles.Load(FileName);
        Assert.NotEmpty(file.Metadata);
        Assert.Equal(file.Metadata.Keys.Order(StringComparer.Ordinal), GoldenFiles.CasePrefixes(file));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_backward_match_PyTorch(string name)
    {
        var file = GoldenFiles.Load(FileName);
        using var meta = JsonDocument.Parse(file.Metadata[name]);
        var inFeatures = meta.RootElement.GetProperty("in_features").GetInt32();
        var outFeatures = meta.RootElement.GetProperty("out_features").GetInt32();
        var hasBias = meta.RootElement.GetProperty("bias").GetBoolean();
        var inputShape = new Shape([.. meta.RootElement.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32())]);

        var x = file.Tensor($"{name}.x");
        var bias = hasBias ? file.Tensor($"{name}.bias") : null;
        var layer = new Linear(file.Tensor($"{name}.weight"), bias);
        Assert.Equal(inputShape, x.Shape);
        Assert.Equal((inFeatures, outFeatures), (layer.InFeatures, layer.OutFeatures));
        Assert.Equal(hasBias, file.Tensors.ContainsKey($"{name}.dbias"));

        var y = layer.Forward(x);
        Tolerance.AssertClose(file.Tensor($"{name}.y"), y, inFeatures, $"{name}.y");

        var rows = x.Shape.LeadingCount;
        var (dx, gradient) = layer.Backward(x, file.Tensor($"{name}.dy"));
        Tolerance.AssertClose(file.Tensor($"{name}.dx"), dx, outFeatures, $"{name}.dx");
        Tolerance.AssertClose(file.Tensor($"{name}.dweight"), gradient.Weight, rows, $"{name}.dweight");
        Assert.Equal(hasBias, gradient.Bias is not null);
        if (gradient.Bias is { } db)
            Tolerance.AssertClose(file.Tensor($"{name}.dbias"), db, rows, $"{name}.dbias");
    }
}
