using Pipelines.Kernels;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Kernels;

public sealed class ActivationTests
{
    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Rule)[] Rules =
    [
        ("relu", (v, _) => Activations.Relu(v)), ("relu'", Activations.ReluBackward),
        ("leaky", (v, _) => Activations.LeakyRelu(v, 0.1)), ("leaky'", (v, g) => Activations.LeakyReluBackward(v, g, 0.1)),
        ("elu", (v, _) => Activations.Elu(v)), ("elu'", (v, g) => Activations.EluBackward(v, g)),
        ("gelu", (v, _) => Activations.Gelu(v)), ("gelu'", (v, g) => Activations.GeluBackward(v, g)),
        ("gelu tanh", (v, _) => Activations.Gelu(v, GeluApproximation.Tanh)), ("gelu tanh'", (v, g) => Activations.GeluBackward(v, g, GeluApproximation.Tanh)),
        ("sigmoid", (v, _) => Activations.Sigmoid(v)), ("sigmoid'", Activations.SigmoidBackward),
        ("silu", (v, _) => Activations.Silu(v)), ("silu'", Activations.SiluBackward),
        ("softplus", (v, _) => Activations.Softplus(v)), ("softplus'", (v, g) => Activations.SoftplusBackward(v, g)),
        ("tanh", (v, _) => Activations.Tanh(v)), ("tanh'", Activations.TanhBackward),
    ];

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

    /// <summary>
    /// Every length from empty to past two 512-bit vectors, in both dtypes: inputs shorter than one vector run the tail
    /// alone, longer ones body and tail, and every element (forward and backward) is bitwise the element computed alone.
    /// </summary>
    [Theory]
    [MemberData(nameof(Lengths))]
    public void Every_element_goes_through_the_same_rule_whatever_the_length(int length, DType dtype)
    {
        var x = Tensor.Normal(new Key((ulong)length), new Shape(length), 0, 4, dtype);
        var dy = Tensor.Normal(new Key((ulong)length + 1000), new Shape(length), dtype: dtype);
        // The exact rules against their scalar definitions too, so an input too short for any full vector is checked
        // against something other than the kernel itself.
        var (xs, gs) = (x.ToFloat64Array(), dy.ToFloat64Array());
        Assert.Equal(xs.Select(v => v > 0 ? v : 0), Activations.Relu(x).ToFloat64Array());
        Assert.Equal(xs.Zip(gs, (v, g) => v > 0 ? g : 0), Activations.ReluBackward(x, dy).ToFloat64Array());
        Assert.Equal(xs.Zip(gs, (v, g) => v > 0 ? g : dtype == DType.Float32 ? (float)g * 0.1f : g * 0.1), Activations.LeakyReluBackward(x, dy, 0.1).ToFloat64Array());
        foreach (var (name, rule) in Rules)
        {
            var whole = rule(x, dy).ToFloat64Array();
            Assert.Equal(length, whole.Length);
            for (var i = 0; i < length; i++)
            {
                var alone = rule(x[i..(i + 1)], dy[i..(i + 1)]).ToFloat64Array()[0];
                Assert.True(BitConverter.DoubleToInt64Bits(whole[i]) == BitConverter.DoubleToInt64Bits(alone), $"{name}, {dtype.Name()}, length {length}, element {i}: {whole[i]:R} against {alone:R} alone");
            }
        }
    }

    /// <summary>
    /// NaN, infinities and values past the exponential's range beside ordinary elements (every other element, so each
    /// vector holds both) leave the ordinary elements' bits as they are without them: no rule decides per vector.
    /// </summary>
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void An_elements_result_does_not_depend_on_its_neighbours(DType dtype)
    {
        const int Length = 67;
        double[] extremes = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1000, -1000, 1e30, -1e30, 750, -750];
        var plain = Tensor.Normal(new Key(5), new Shape(Length), 0, 4, dtype);
        var dy = Tensor.Normal(new Key(6), new Shape(Length), dtype: dtype);
        var mixed = plain.ToFloat64Array();
        for (var i = 1; i < Length; i += 2)
            mixed[i] = extremes[(i / 2) % extremes.Length];
        var x = Tensor.FromArray(mixed).To(dtype);
        foreach (var (name, rule) in Rules)
        {
            var (expected, actual) = (rule(plain, dy).ToFloat64Array(), rule(x, dy).ToFloat64Array());
            for (var i = 0; i < Length; i += 2)
                Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"{name}, {dtype.Name()}, element {i} ({mixed[i]:R}): {actual[i]:R} beside extremes against {expected[i]:R} without them");
        }
    }

    /// <summary>
    /// A softmax row in a batch is bitwise the row alone, whatever its offset in the batch's storage and with masked
    /// (−∞) and far-out logits in it: each row starts at a different alignment, which must not regroup its vectors.
    /// </summary>
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void A_softmax_row_in_a_batch_equals_the_row_alone(DType dtype)
    {
        foreach (var width in new[] { 1, 7, 33, 257, 1031 })
        {
            var values = Tensor.Normal(new Key((ulong)width), new Shape(5, width), 0, 5, dtype).ToFloat64Array();
            for (var i = 3; i < values.Length; i += 11)
                values[i] = i % 2 == 0 ? double.NegativeInfinity : -1000;
            var batch = Tensor.FromArray(values, 5, width).To(dtype);
            foreach (var logarithm in new[] { false, true })
            {
                Func<Tensor, Tensor> softmax = logarithm ? t => Activations.LogSoftmax(t) : t => Activations.Softmax(t);
                var whole = softmax(batch).ToFloat64Array();
                for (var row = 0; row < 5; row++)
                {
                    var alone = softmax(batch[row..(row + 1)]).ToFloat64Array();
                    for (var j = 0; j < width; j++)
                        Assert.True(BitConverter.DoubleToInt64Bits(whole[(row * width) + j]) == BitConverter.DoubleToInt64Bits(alone[j]), $"{(logarithm ? "log-softmax" : "softmax")}, {dtype.Name()}, width {width}, row {row}, element {j}: {whole[(row * width) + j]:R} in the batch against {alone[j]:R} alone");
                }
            }
        }
    }

    public static TheoryData<int, DType> Lengths()
    {
        var data = new TheoryData<int, DType>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            foreach (var length in Enumerable.Range(0, 36))
                data.Add(length, dtype);
        }
        return data;
    }
}
