using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Layers;

public sealed class LinearTests
{
    private static readonly Tensor W = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
    private static readonly Tensor B = Tensor.FromArray(new float[] { 0, 1 });

    [Fact]
    public void The_documentation_example_gives_14_and_33()
    {
        var layer = new Linear(W, B);
        Assert.Equal(new float[] { 14, 33 }, layer.Forward(Tensor.FromArray(new float[] { 1, 2, 3 })).ToFloat32Array());
        Assert.Equal(new Shape(2), layer.Forward(Tensor.FromArray(new float[] { 1, 2, 3 })).Shape);
    }

    [Fact]
    public void It_describes_itself_as_PyTorch_does()
    {
        Assert.Equal("Linear(in_features=3, out_features=2, bias=True)", new Linear(W, B).ToString());
        Assert.Equal("Linear(in_features=3, out_features=2, bias=False)", new Linear(W).ToString());
        var layer = new Linear(new Key(0), 784, 10);
        Assert.Equal(["weight", "bias"], layer.NamedParameters().Select(p => p.Key));
        Assert.Equal(785 * 10, layer.ParameterCount());
        Assert.Equal(784 * 10, new Linear(new Key(0), 784, 10, bias: false).ParameterCount());
        Assert.Equal((784, 10), (layer.InFeatures, layer.OutFeatures));
    }

    [Fact]
    public void Default_initialisation_is_deterministic_and_bounded_by_one_over_sqrt_in()
    {
        var a = new Linear(new Key(9), 50, 20);
        var b = new Linear(new Key(9), 50, 20);
        Assert.True(a.Weight.BitwiseEquals(b.Weight));
        var bound = (double)(float)(1 / Math.Sqrt(50));
        Assert.All(a.Weight.ToFloat64Array(), v => Assert.InRange(v, -bound, bound));
        Assert.All(a.Bias!.ToFloat64Array(), v => Assert.InRange(v, -bound, bound));
        Assert.False(a.Weight.BitwiseEquals(new Linear(new Key(10), 50, 20).Weight));
    }

    [Fact]
    public void Zero_input_features_give_a_zero_bias_and_a_zero_output()
    {
        var layer = new Linear(new Key(1), 0, 4);
        Assert.Equal(new Shape(4, 0), layer.Weight.Shape);
        Assert.Equal(new float[12], layer.Forward(Tensor.Zeros(new Shape(3, 0))).ToFloat32Array());
    }

    [Fact]
    public void Any_rank_and_empty_leading_axes_work()
    {
        var layer = new Linear(new Key(2), 10, 5);
        Assert.Equal(new Shape(0, 5), layer.Forward(Tensor.Zeros(new Shape(0, 10))).Shape);
        Assert.Equal(new Shape(2, 0, 3, 5), layer.Forward(Tensor.Zeros(new Shape(2, 0, 3, 10))).Shape);
        Assert.Equal(new Shape(2, 3, 4, 5), layer.Forward(Tensor.Ones(new Shape(2, 3, 4, 10))).Shape);
    }

    [Fact]
    public void Float64_layers_run_end_to_end()
    {
        var layer = new Linear(new Key(3), 4, 3, dtype: DType.Float64);
        var x = Tensor.Normal(new Key(4), new Shape(2, 4), dtype: DType.Float64);
        var (dx, gradient) = layer.Backward(x, Tensor.Ones(new Shape(2, 3), DType.Float64));
        Assert.Equal(DType.Float64, layer.Forward(x).DType);
        Assert.Equal(DType.Float64, dx.DType);
        Assert.Equal(DType.Float64, gradient.Weight.DType);
    }

    [Fact]
    public void Apply_is_the_functional_form()
    {
        var x = Tensor.Normal(new Key(5), new Shape(4, 3));
        Assert.True(new Linear(W, B).Forward(x).BitwiseEquals(Linear.Apply(x, W, B)));
        Assert.True(new Linear(W).Forward(x).BitwiseEquals(Linear.Apply(x, W)));
    }

    [Fact]
    public void Backward_gives_the_three_gradients_of_a_small_worked_example()
    {
        var layer = new Linear(W, B);
        var x = Tensor.FromArray(new float[,] { { 1, 0, -1 }, { 2, 1, 0 } });
        var dy = Tensor.FromArray(new float[,] { { 1, 0 }, { 0, 2 } });
        var (dx, gradient) = layer.Backward(x, dy);
        Assert.Equal(new float[] { 1, 2, 3, 8, 10, 12 }, dx.ToFloat32Array());
        Assert.Equal(new float[] { 1, 0, -1, 4, 2, 0 }, gradient.Weight.ToFloat32Array());
        Assert.Equal(new float[] { 1, 2 }, gradient.Bias!.ToFloat32Array());
        Assert.True(new Linear(W).Backward(x, dy).Gradient.Bias is null);
    }

    [Fact]
    public void A_wrong_input_width_names_the_layer_the_expected_and_the_actual_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => new Linear(W, B).Forward(Tensor.Zeros(new Shape(32, 4))));
        Assert.Contains("Linear expects input [..., 3] but got [32, 4]", e.Message, StringComparison.Ordinal);
        var inChain = Assert.Throws<ArgumentException>(() => (new Linear(new Key(0), 3, 5) >> new ReLU() >> new Linear(new Key(1), 6, 2)).Forward(Tensor.Zeros(new Shape(1, 3))));
        Assert.Contains("Linear '2' expects input [..., 6] but got [1, 5]", inChain.Message, StringComparison.Ordinal);
        Assert.Contains("but got []", Assert.Throws<ArgumentException>(() => new Linear(W).Forward(Tensor.Scalar(1))).Message, StringComparison.Ordinal);
        Assert.Contains("float32 parameters but got float64 input", Assert.Throws<ArgumentException>(() => new Linear(W).Forward(Tensor.Zeros(new Shape(3), DType.Float64))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_parameters_get_their_own_messages()
    {
        Assert.Contains("weight must be 2-D [out_features, in_features] but got [3]", Assert.Throws<ArgumentException>(() => new Linear(Tensor.Zeros(new Shape(3)))).Message, StringComparison.Ordinal);
        Assert.Contains("bias must be [out_features] = [2] for weight [2, 3] but got [3]", Assert.Throws<ArgumentException>(() => new Linear(W, Tensor.Zeros(new Shape(3)))).Message, StringComparison.Ordinal);
        Assert.Contains("bias must have the weight's dtype float32 but got float64", Assert.Throws<ArgumentException>(() => new Linear(W, Tensor.Zeros(new Shape(2), DType.Float64))).Message, StringComparison.Ordinal);
        Assert.Contains("in_features=-1", Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(new Key(0), -1, 2)).Message, StringComparison.Ordinal);
        Assert.Contains("dy [4, 2] (float32) for input [4, 3] but got [4, 3]", Assert.Throws<ArgumentException>(() => new Linear(W).Backward(Tensor.Zeros(new Shape(4, 3)), Tensor.Zeros(new Shape(4, 3)))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_gradient_functions_check_their_operands()
    {
        Assert.Contains("dy [..., 2]", Assert.Throws<ArgumentException>(() => Linear.InputGradient(Tensor.Zeros(new Shape(4, 3)), W)).Message, StringComparison.Ordinal);
        Assert.Contains("same leading axes", Assert.Throws<ArgumentException>(() => Linear.WeightGradient(Tensor.Zeros(new Shape(4, 2)), Tensor.Zeros(new Shape(5, 3)))).Message, StringComparison.Ordinal);
        Assert.Contains("scalar", Assert.Throws<ArgumentException>(() => Linear.BiasGradient(Tensor.Scalar(1))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_parameters_rebuilds_and_rechecks_the_layer()
    {
        var layer = new Linear(W, B);
        var doubled = (Linear)layer.MapParameters((_, t) => t * 2);
        Assert.Equal(new float[] { 2, 4, 6, 8, 10, 12 }, doubled.Weight.ToFloat32Array());
        Assert.Throws<ArgumentException>(() => layer.MapParameters((name, t) => name == "bias" ? Tensor.Zeros(new Shape(5)) : t));
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, layer.Weight.ToFloat32Array());
    }
}
