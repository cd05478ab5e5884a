using System.Runtime.Intrinsics;
using Pipelines.Kernels;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Kernels;

/// <summary>The library's own eˣ: within an ulp of the C library's, its edge values exact, and one answer at every width.</summary>
public sealed class ExponentialTests
{
    private static readonly double[] Inputs =
    [
        .. Enumerable.Range(0, 20_000).Select(i => -750 + (1470.0 * i / 20_000) + (i % 7 * 1e-3)),
        .. Enumerable.Range(0, 2_000).Select(i => (i - 1000) * 1e-6),
        0.5 * Math.Log(2), -0.5 * Math.Log(2), 709.782712893384, -708.39641853226408, -745.1332191019411,
    ];

    [Fact]
    public void Double_is_within_one_ulp_of_the_C_library_at_every_width()
    {
        foreach (var x in Inputs)
        {
            var expected = Math.Exp(x);
            var actual = Scalar(x);
            Assert.True(Ulps(actual, expected) <= 1, $"exp({x:R}) = {actual:R}, the C library gives {expected:R}");
            AssertEveryWidth(x, actual);
        }
    }

    [Fact]
    public void Single_is_within_one_ulp_of_the_correctly_rounded_value_at_every_width()
    {
        foreach (var x in Inputs.Select(v => (float)(v / 8)).Where(float.IsFinite))
        {
            var expected = (float)Math.Exp(x);
            var actual = Scalar(x);
            Assert.True(Ulps(actual, expected) <= 1, $"exp({x:R}) = {actual:R}, rounded from double {expected:R}");
            AssertEveryWidth(x, actual);
        }
    }

    /// <summary>eˣ − 1 in float32 against the double computation rounded once, where e^x − 1 would lose every bit near 0.</summary>
    [Fact]
    public void ExpM1_is_within_one_ulp_near_zero_and_far_from_it()
    {
        foreach (var x in Inputs.Select(v => (float)(v / 8)).Concat([1e-30f, -1e-30f, 1e-8f, -3e-7f, float.Epsilon]).Where(float.IsFinite))
        {
            var expected = (float)(Math.Abs(x) < 1e-5 ? x + (0.5 * x * (double)x) : Math.Exp(x) - 1);
            var actual = Exponential.ExpM1<ScalarOps<float>, float, float>(x);
            Assert.True(Ulps(actual, expected) <= 1, $"expm1({x:R}) = {actual:R}, rounded from double {expected:R}");
        }
        Assert.True(double.IsNegative(Exponential.ExpM1<ScalarOps<double>, double, double>(-0.0)));
        Assert.Equal(double.PositiveInfinity, Exponential.ExpM1<ScalarOps<double>, double, double>(1000));
        Assert.Equal(-1.0, Exponential.ExpM1<ScalarOps<double>, double, double>(double.NegativeInfinity));
    }

    /// <summary>tanh from eˣ − 1: within three ulps of the C library's in float64, odd at zero (−0 stays −0), ±1 past saturation.</summary>
    [Fact]
    public void Tanh_is_within_three_ulps_of_the_C_library()
    {
        var inputs = Inputs.Select(v => v / 30).Concat([1e-300, -1e-300, 1e-9, -2e-5, 21.9, -21.9, 40, -40]).ToArray();
        var actual = Activations.Tanh(Tensor.FromArray(inputs)).ToFloat64Array();
        for (var i = 0; i < inputs.Length; i++)
            Assert.True(Ulps(actual[i], Math.Tanh(inputs[i])) <= 3, $"tanh({inputs[i]:R}) = {actual[i]:R}, the C library gives {Math.Tanh(inputs[i]):R}");
        Assert.True(double.IsNegative(Activations.Tanh(Tensor.FromArray([-0.0])).ToFloat64Array()[0]));
    }

    [Theory]
    [InlineData(double.NaN, double.NaN)]
    [InlineData(double.PositiveInfinity, double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity, 0.0)]
    [InlineData(710.0, double.PositiveInfinity)]
    [InlineData(1e300, double.PositiveInfinity)]
    [InlineData(-746.0, 0.0)]
    [InlineData(-1e300, 0.0)]
    [InlineData(0.0, 1.0)]
    [InlineData(-1e-300, 1.0)]
    public void Edge_values_are_exact(double x, double expected)
    {
        Assert.Equal(expected, Scalar(x));
        Assert.Equal((float)expected, Scalar((float)x));
        AssertEveryWidth(x, expected);
        AssertEveryWidth((float)x, (float)expected);
    }

    private static T Scalar<T>(T x)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T> => Exponential.Exp<ScalarOps<T>, T, T>(x);

    /// <summary>Each vector width gives the scalar form's bits in every lane.</summary>
    private static void AssertEveryWidth<T>(T x, T expected)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        if (Vector128.IsHardwareAccelerated)
            Assert.Equal(Vector128.Create(expected), Exponential.Exp<Vector128Ops<T>, Vector128<T>, T>(Vector128.Create(x)));
        if (Vector256.IsHardwareAccelerated)
            Assert.Equal(Vector256.Create(expected), Exponential.Exp<Vector256Ops<T>, Vector256<T>, T>(Vector256.Create(x)));
        if (Vector512.IsHardwareAccelerated)
            Assert.Equal(Vector512.Create(expected), Exponential.Exp<Vector512Ops<T>, Vector512<T>, T>(Vector512.Create(x)));
    }

    private static long Ulps(double a, double b) => Math.Abs(BitConverter.DoubleToInt64Bits(a) - BitConverter.DoubleToInt64Bits(b));

    private static long Ulps(float a, float b) => Math.Abs((long)BitConverter.SingleToInt32Bits(a) - BitConverter.SingleToInt32Bits(b));
}
