using Pipelines.Kernels;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Kernels;

public sealed class ActivationTests
{
    /// <summary>torch.relu(tensor([-3., -0., 0., nan, 2.])) is [0., -0., 0., nan, 2.] with +0 for the negative input (printed by PyTorch 1.13).</summary>
    [Fact]
    public void ReLU_gives_plus_zero_for_negatives_and_keeps_minus_zero_and_NaN_as_PyTorch_does()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var y = Activations.Relu(Tensor.FromArray([-3.0, -0.0, 0.0, double.NaN, 2.0]).To(dtype)).ToFloat64Array();
            Assert.Equal([false, true, false], y[..3].Select(double.IsNegative));
            Assert.Equal(0.0, y[0]);
            Assert.True(double.IsNaN(y[3]));
            Assert.Equal(2.0, y[4]);
        }
    }

    /// <summary>A tensor of 19 elements runs 16 (float32, 512-bit) as a full vector and 3 as the padded tail: every element matches the element computed alone.</summary>
    [Fact]
    public void Tail_elements_go_through_the_same_rule_as_the_body()
    {
        var x = Tensor.Normal(new Key(1), new Shape(19), 0, 4);
        foreach (var f in new Func<Tensor, Tensor>[] { Activations.Sigmoid, Activations.Silu, Activations.Tanh, x => Activations.Gelu(x), x => Activations.LeakyRelu(x, 0.1) })
        {
            var whole = f(x).ToFloat32Array();
            for (var i = 0; i < 19; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits(whole[i]), BitConverter.SingleToInt32Bits(f(x[i..(i + 1)]).ToFloat32Array()[0]));
        }
    }
}
