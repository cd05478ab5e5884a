using Pipelines.Losses;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Losses;

public sealed class LossTests
{
    private static readonly Tensor Logits = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 0, 0, 0 } });

    [Fact]
    public void Cross_entropy_of_uniform_logits_is_log_C()
    {
        var loss = Loss.CrossEntropy(Tensor.Zeros(new Shape(4, 3)), [0, 1, 2, 0]);
        Assert.Equal(Math.Log(3), loss.Value, 12);
        Assert.Equal(DType.Float32, loss.Gradient.DType);
    }

    [Fact]
    public void Logits_of_a_thousand_stay_finite()
    {
        var loss = Loss.BinaryCrossEntropyWithLogits(Tensor.FromArray(new float[] { 1000, -1000 }), Tensor.FromArray(new float[] { 0, 1 }));
        Assert.Equal(1000, loss.Value, 9);
        Assert.Equal(new float[] { 0.5f, -0.5f }, loss.Gradient.ToFloat32Array());
        Assert.True(double.IsFinite(Loss.CrossEntropy(Tensor.FromArray(new float[,] { { 1000, -1000 } }), [1]).Value));
    }

    [Fact]
    public void Bad_inputs_say_what_was_expected_and_given()
    {
        Assert.Contains("target 1 is class 3, outside [0, 3)", Assert.Throws<ClassTargetException>(() => Loss.CrossEntropy(Logits, [0, 3])).Message, StringComparison.Ordinal);
        Assert.Contains("target 0 is class -1", Assert.Throws<ClassTargetException>(() => Loss.NegativeLogLikelihood(Logits, [-1, 0])).Message, StringComparison.Ordinal);
        Assert.Contains("needs one class index per position of [2] (2) but got 1", Assert.Throws<ArgumentException>(() => Loss.CrossEntropy(Logits, [0])).Message, StringComparison.Ordinal);
        Assert.Contains("scores [C], [N, C] or [N, C, d1, ...] but got a scalar", Assert.Throws<ArgumentException>(() => Loss.CrossEntropy(Tensor.Scalar(0), [0])).Message, StringComparison.Ordinal);
        Assert.Contains("class indices as an int64 tensor of shape [2]", Assert.Throws<ArgumentException>(() => Loss.CrossEntropy(Logits, Tensor.Zeros(new Shape(2)))).Message, StringComparison.Ordinal);
        Assert.Equal(Loss.CrossEntropy(Logits[..1], [2]).Value, Loss.CrossEntropy(Logits[0], [2]).Value, 12);
        Assert.Contains("probabilities in [0, 1] but element 1 is 1.5", Assert.Throws<ArgumentException>(() => Loss.BinaryCrossEntropy(Tensor.FromArray(new float[] { 0.5f, 1.5f }), Tensor.Zeros(new Shape(2)))).Message, StringComparison.Ordinal);
        Assert.Contains("one shape but got [2, 3] and [3]", Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError(Logits, Tensor.Zeros(new Shape(3)))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.Huber(Logits, Logits, delta: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.CrossEntropy(Logits, [0, 1], labelSmoothing: 1.5));
    }

    [Fact]
    public void Sum_and_mean_differ_by_the_count()
    {
        var (mean, sum) = (Loss.MeanSquaredError(Logits, Tensor.Zeros(Logits.Shape)), Loss.MeanSquaredError(Logits, Tensor.Zeros(Logits.Shape), Reduction.Sum));
        Assert.Equal(14.0 / 6, mean.Value, 12);
        Assert.Equal(14.0, sum.Value, 12);
        Assert.True((sum.Gradient / 6).AllClose(mean.Gradient));
    }
}
