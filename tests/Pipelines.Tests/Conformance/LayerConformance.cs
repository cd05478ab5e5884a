using System.Text.Json;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// Every case of <c>layers.safetensors</c>, written by PyTorch: Embedding (padding_idx, negative padding_idx, max_norm
/// with its rewritten weight, norm_type), RMSNorm (over one and two axes, the default eps, no affine weight) and GLU along
/// any axis. Forward, input gradient and parameter gradients, in float64 and float32.
/// </summary>
public sealed class LayerConformance
{
    private const string FileName = "layers.safetensors";

    public static TheoryData<string> Cases() => GoldenFiles.CaseNames(FileName);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_gradients_match_PyTorch(string name)
    {
        var file = GoldenFiles.Load(FileName);
        var d = GoldenFiles.Cases(FileName)[name];
        Tensor Get(string key) => file.Tensor($"{name}.{key}");
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var dy = Get("dy").To(dtype);
            switch (d.GetProperty("layer").GetString())
            {
                case "embedding":
                {
                    var layer = new Embedding(Get("weight").To(dtype), Long(d, "padding_idx"), Double(d, "max_norm"), d.GetProperty("norm_type").GetDouble());
                    var indices = Get("indices");
                    var traced = layer.Forward(indices, ForwardContext.Training(new Key(0)));
                    var (_, gradient) = layer.Backward(traced.Trace, dy, inputGradient: false);
                    Tolerance.Close(Get("y"), traced.Output, 1, $"{name}.y");
                    Tolerance.Close(Get("weight_after"), ((Embedding)traced.Next).Weight, 1, $"{name}.weight_after");
                    Tolerance.Close(Get("dweight"), ((Embedding)gradient).Weight, indices.Count, $"{name}.dweight");
                    break;
                }
                case "rms_norm":
                {
                    var shape = new Shape([.. d.GetProperty("normalized_shape").EnumerateArray().Select(e => e.GetInt32())]);
                    var affine = d.GetProperty("affine").GetBoolean();
                    // The reference ran in float64 with float64's epsilon; a float32 run given no eps would take float32's.
                    var layer = new RMSNorm(shape, affine ? Get("weight").To(dtype) : null, Double(d, "eps") ?? (dtype == DType.Float64 ? null : 2.220446049250313e-16));
                    var traced = layer.Forward(Get("x").To(dtype), ForwardContext.Training(new Key(0)));
                    var (dx, gradient) = layer.Backward(traced.Trace, dy);
                    Tolerance.Close(Get("y"), traced.Output, shape.ElementCount, $"{name}.y");
                    Tolerance.Close(Get("dx"), dx, shape.ElementCount, $"{name}.dx");
                    Assert.Equal(affine ? ["weight"] : [], layer.NamedParameters().Names);
                    if (affine)
                        Tolerance.Close(Get("dweight"), ((RMSNorm)gradient).Weight!, dy.Count / shape.ElementCount, $"{name}.dweight");
                    break;
                }
                default:
                {
                    var layer = new GLU(d.GetProperty("dim").GetInt32());
                    var traced = layer.Forward(Get("x").To(dtype), ForwardContext.Training(new Key(0)));
                    Tolerance.Close(Get("y"), traced.Output, 1, $"{name}.y");
                    Tolerance.Close(Get("dx"), layer.Backward(traced.Trace, dy).Dx, 1, $"{name}.dx");
                    break;
                }
            }
        }
    }

    /// <summary>RMSNorm's default eps is the input dtype's machine epsilon, as PyTorch's: float32's, not float64's.</summary>
    [Fact]
    public void RMSNorm_without_eps_uses_the_inputs_machine_epsilon()
    {
        var x = Tensor.FromArray([1e-4f, -1e-4f], 1, 2);
        var y = new RMSNorm(2, elementwiseAffine: false).Forward(x).ToFloat64Array();
        Assert.Equal(1e-4 / Math.Sqrt(1e-8 + 1.1920928955078125e-07), y[0], 1e-4);
    }

    [Fact]
    public void Embedding_refuses_float_input_and_indices_out_of_range_naming_itself()
    {
        var layer = new Linear(new Key(1), 2, 2) >> new Embedding(new Key(2), 5, 2);
        Assert.Contains("Embedding '1' expects int64 indices but got float32 [1, 2]", Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Ones(new Shape(1, 2)))).Message, StringComparison.Ordinal);
        var table = new Embedding(new Key(2), 5, 2);
        Assert.Contains("got index 5, outside [0, 5)", Assert.Throws<ArgumentOutOfRangeException>(() => table.Forward(Tensor.FromArray([1L, 5], 2))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_frozen_pretrained_table_is_a_buffer_named_weight_and_gets_no_gradient()
    {
        var table = Embedding.FromPretrained(Tensor.Normal(new Key(3), new Shape(4, 3)));
        Assert.Empty(table.NamedParameters());
        Assert.Equal(["weight"], table.NamedBuffers().Names);
        var trained = Embedding.FromPretrained(table.Weight, freeze: false);
        Assert.Equal(["weight"], trained.NamedParameters().Names);
        Assert.Equal("Embedding(4, 3, padding_idx=0)", new Embedding(new Key(4), 4, 3, paddingIndex: 0).ToString());
        Assert.Equal(0.0, new Embedding(new Key(4), 4, 3, paddingIndex: 0).Weight[0].Abs().Sum().Item());
    }

    private static long? Long(JsonElement d, string key) => d.GetProperty(key).ValueKind == JsonValueKind.Null ? null : d.GetProperty(key).GetInt64();

    private static double? Double(JsonElement d, string key) => d.GetProperty(key).ValueKind == JsonValueKind.Null ? null : d.GetProperty(key).GetDouble();

}
