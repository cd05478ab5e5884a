using System.Globalization;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// <c>mlp.safetensors</c> (a PyTorch <c>nn.Sequential</c> state dict) and its F16/BF16 casts load by name into
/// the equivalent chain, whose layer sizes are read from the file's shapes.
/// </summary>
public sealed class MlpConformance
{
    [Fact]
    public void The_float32_state_dict_loads_by_name_with_every_value_intact()
    {
        var file = GoldenFiles.Load("mlp.safetensors");
        var model = StateDict.Load(ModelShapedLike(file), file);
        foreach (var (name, value) in model.NamedParameters())
            Assert.True(file.Tensor(name).BitwiseEquals(value), $"{name} differs from the file after loading.");
        Assert.Equal(file.Tensors.Values.Sum(t => (long)t.Shape.ElementCount), model.ParameterCount());
    }

    [Theory]
    [InlineData("mlp_f16.safetensors", SafeTensorDType.F16)]
    [InlineData("mlp_bf16.safetensors", SafeTensorDType.BF16)]
    public void Half_precision_casts_load_as_exactly_the_float32_values_rounded(string fileName, SafeTensorDType dtype)
    {
        var reference = GoldenFiles.Load("mlp.safetensors");
        var file = GoldenFiles.Load(fileName);
        Assert.All(file.Tensors.Values, t => Assert.Equal(dtype, t.DType));
        var model = StateDict.Load(ModelShapedLike(file), file);
        foreach (var (name, value) in model.NamedParameters())
        {
            var expected = reference.Tensor(name).ToFloat32Array().Select(v => dtype == SafeTensorDType.F16 ? (float)(Half)v : RoundToBFloat16(v));
            Assert.Equal(expected, value.ToFloat32Array());
        }
    }

    [Fact]
    public void The_loaded_model_runs_forward_to_ten_logits()
    {
        var file = GoldenFiles.Load("mlp.safetensors");
        var model = StateDict.Load(ModelShapedLike(file), file);
        var inputs = model.Parameters().First().Shape[1];
        var y = model.Forward(Tensor.Normal(new Key(7), new Shape(4, inputs)));
        Assert.Equal(new Shape(4, file.Tensors.Last(t => t.Key.EndsWith(".weight", StringComparison.Ordinal)).Value.Shape[0]), y.Shape);
    }

    /// <summary>
    /// A chain like the file's <c>nn.Sequential</c>: a Linear at every index that has a weight, sized from its shape,
    /// and a ReLU at every index in between, so the names line up with PyTorch's.
    /// </summary>
    internal static Chain ModelShapedLike(SafeTensorsFile file)
    {
        var weights = file.Tensors
            .Where(t => t.Key.EndsWith(".weight", StringComparison.Ordinal))
            .ToDictionary(t => int.Parse(t.Key[..t.Key.IndexOf('.', StringComparison.Ordinal)], CultureInfo.InvariantCulture), t => t.Value.Shape);
        var last = weights.Keys.Max();
        var key = new Key(0);
        return new Chain(Enumerable.Range(0, last + 1).Select(i => weights.TryGetValue(i, out var shape)
            ? (Layer)new Linear(key.Fold((ulong)i), shape[1], shape[0], bias: file.Tensors.ContainsKey($"{i}.bias"))
            : new ReLU()));
    }

    /// <summary>float32 → bfloat16 by round-to-nearest-even on the top 16 bits, as PyTorch casts.</summary>
    private static float RoundToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        var rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000;
        return BitConverter.UInt32BitsToSingle(rounded);
    }
}
