using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Layers;

public sealed class InitTests
{
    private static readonly Key Key = new(2026);

    [Fact]
    public void Gains_are_PyTorchs()
    {
        Assert.Equal(1.0, Init.CalculateGain(Nonlinearity.Linear));
        Assert.Equal(1.0, Init.CalculateGain(Nonlinearity.Sigmoid));
        Assert.Equal(5.0 / 3, Init.CalculateGain(Nonlinearity.Tanh));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain(Nonlinearity.Relu));
        Assert.Equal(Math.Sqrt(2 / (1 + 0.0001)), Init.CalculateGain(Nonlinearity.LeakyRelu), 15);
        Assert.Equal(Math.Sqrt(2.0 / 6), Init.CalculateGain(Nonlinearity.LeakyRelu, Math.Sqrt(5)), 15);
        Assert.Equal(0.75, Init.CalculateGain(Nonlinearity.Selu));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain("relu", 0.2));
        Assert.Equal(Math.Sqrt(2 / (1 + 0.04)), Init.CalculateGain("leaky_relu", 0.2), 15);
        Assert.Equal(1.0, Init.CalculateGain("conv2d"));
        Assert.Contains("PyTorch's names are", Assert.Throws<ArgumentException>(() => Init.CalculateGain("swish")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fans_count_the_receptive_field()
    {
        Assert.Equal((3, 2), Init.Fans(new Shape(2, 3)));
        Assert.Equal((3 * 25, 8 * 25), Init.Fans(new Shape(8, 3, 5, 5)));
        Assert.Contains("at least 2 axes", Assert.Throws<ArgumentException>(() => Init.Fans(new Shape(4))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kaiming_uniform_with_a_sqrt5_is_bounded_by_one_over_sqrt_fan_in()
    {
        var w = Init.KaimingUniform(Key, new Shape(300, 49), a: Math.Sqrt(5)).ToFloat64Array();
        var bound = (double)(float)(1 / Math.Sqrt(49));
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.95 * bound && w.Min() < -0.95 * bound);
    }

    [Fact]
    public void Kaiming_and_xavier_have_their_documented_spread()
    {
        var shape = new Shape(400, 250);
        AssertSpread(Math.Sqrt(2.0 / 250), Init.KaimingNormal(Key, shape, nonlinearity: Nonlinearity.Relu), NormalKurtosis);
        AssertSpread(Math.Sqrt(2.0 / 400), Init.KaimingNormal(Key, shape, mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu), NormalKurtosis);
        AssertSpread(Math.Sqrt(2.0 / 250), Init.KaimingUniform(Key, shape, nonlinearity: Nonlinearity.Relu), UniformKurtosis);
        AssertSpread(Math.Sqrt(2.0 / 650), Init.XavierNormal(Key, shape), NormalKurtosis);
        AssertSpread(2 * Math.Sqrt(2.0 / 650), Init.XavierUniform(Key, shape, gain: 2), UniformKurtosis);
        var xavier = Init.XavierUniform(Key, shape, gain: 2).ToFloat64Array();
        Assert.All(xavier, v => Assert.InRange(v, -(double)(float)(2 * Math.Sqrt(6.0 / 650)), (double)(float)(2 * Math.Sqrt(6.0 / 650))));
    }

    [Fact]
    public void Trunc_normal_stays_in_its_interval_even_far_in_a_tail()
    {
        var standard = Init.TruncNormal(Key, new Shape(20_000)).ToFloat64Array();
        Assert.All(standard, v => Assert.InRange(v, -2, 2));
        AssertMean(TruncatedNormal(-2, 2), standard);
        var tail = Init.TruncNormal(Key, new Shape(1000), mean: 0, std: 1, a: 6, b: 7, dtype: DType.Float64).ToFloat64Array();
        Assert.All(tail, v => Assert.InRange(v, 6, 7));
        AssertMean(TruncatedNormal(6, 7), tail);
    }

    [Fact]
    public void Orthogonal_rows_or_columns_are_orthonormal_times_the_gain()
    {
        foreach (var shape in new[] { new Shape(6, 4), new Shape(4, 6), new Shape(5, 5), new Shape(3, 2, 2) })
        {
            var q = Init.Orthogonal(Key, shape, gain: 2, dtype: DType.Float64);
            var rows = shape[0];
            var m = q.Reshape(rows, -1);
            var gram = rows >= m.Shape[1] ? Pipelines.Kernels.Products.MatMul(m.Transpose(), m) : Pipelines.Kernels.Products.MatMul(m, m.Transpose());
            var n = gram.Shape[0];
            var expected = Init.Eye(new Shape(n, n), DType.Float64) * 4;
            Assert.True((gram - expected).Abs().Max().Item() < 1e-12, $"{shape}: QᵀQ is not 4·I");
        }
    }

    [Fact]
    public void Sparse_zeroes_the_same_count_in_every_column()
    {
        var w = Init.Sparse(Key, new Shape(10, 7), sparsity: 0.25, std: 1).Transpose();
        for (var col = 0; col < 7; col++)
            Assert.Equal(3, w[col].ToFloat32Array().Count(v => v == 0));
    }

    [Fact]
    public void Constants_and_eye()
    {
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0 }, Init.Eye(new Shape(2, 3)).ToFloat32Array());
        Assert.Equal(new float[] { 0.5f, 0.5f }, Init.Constant(new Shape(2), 0.5).ToFloat32Array());
        Assert.Equal(new float[] { 0, 0 }, Init.Zeros(new Shape(2)).ToFloat32Array());
        Assert.Equal(new float[] { 1, 1 }, Init.Ones(new Shape(2)).ToFloat32Array());
    }

    private const double NormalKurtosis = 3;
    private const double UniformKurtosis = 1.8;

    /// <summary>The sample standard deviation within five standard errors of <paramref name="expected"/>: SE(s)/σ ≈ √((κ − 1)/(4n)), about 0.2 % at 10⁵ draws.</summary>
    private static void AssertSpread(double expected, Tensor draws, double kurtosis)
    {
        var tolerance = 5 * expected * Math.Sqrt((kurtosis - 1) / (4.0 * draws.Count));
        Assert.InRange(Std(draws), expected - tolerance, expected + tolerance);
    }

    /// <summary>The sample mean within five standard errors of the distribution's mean.</summary>
    private static void AssertMean((double Mean, double Std) distribution, double[] draws)
    {
        var tolerance = 5 * distribution.Std / Math.Sqrt(draws.Length);
        Assert.InRange(draws.Average(), distribution.Mean - tolerance, distribution.Mean + tolerance);
    }

    /// <summary>Mean and standard deviation of N(0, 1) truncated to [a, b], with the upper-tail mass by erfc so far tails stay exact.</summary>
    private static (double Mean, double Std) TruncatedNormal(double a, double b)
    {
        static double Density(double x) => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
        static double Tail(double x) => 0.5 * SpecialFunctions.Erfc(x / Math.Sqrt(2));
        var mass = Tail(a) - Tail(b);
        var mean = (Density(a) - Density(b)) / mass;
        var variance = 1 + (((a * Density(a)) - (b * Density(b))) / mass) - (mean * mean);
        return (mean, Math.Sqrt(variance));
    }

    private static double Std(Tensor t)
    {
        var v = t.ToFloat64Array();
        var mean = v.Average();
        return Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average());
    }
}
