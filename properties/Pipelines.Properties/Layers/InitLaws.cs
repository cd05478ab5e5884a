using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

public sealed class InitLaws
{
    private const int Draws = 100_000;

    /// <summary>
    /// The default weight of <c>Linear(in, out)</c> lies in ±1/√in and is U(−1/√in, 1/√in): a Kolmogorov–Smirnov
    /// test at 10⁵ draws (critical D at α = 10⁻⁶, so a correct implementation fails about once in a million runs),
    /// plus mean and variance within five standard errors.
    /// </summary>
    [Property(MaxTest = 8)]
    public Property Default_weights_are_uniform_within_one_over_sqrt_in(PositiveInt inChoice, int seed)
    {
        var inFeatures = 1 + (inChoice.Get % 1000);
        var outFeatures = (Draws + inFeatures - 1) / inFeatures;
        var layer = new Linear(new Key((ulong)seed), inFeatures, outFeatures);
        var bound = 1 / Math.Sqrt(inFeatures);
        var w = layer.Weight.ToFloat64Array();
        Array.Sort(w);
        var n = w.Length;
        var d = 0.0;
        for (var i = 0; i < n; i++)
        {
            var cdf = (w[i] + bound) / (2 * bound);
            d = Math.Max(d, Math.Max(((i + 1.0) / n) - cdf, cdf - ((double)i / n)));
        }
        var critical = Math.Sqrt(-Math.Log(1e-6 / 2) / (2 * n));
        var mean = w.Average();
        var variance = w.Select(v => (v - mean) * (v - mean)).Average();
        var expectedVariance = bound * bound / 3;
        // Draws are rounded to float32, so the largest possible magnitude is the bound rounded to float32 (as in PyTorch).
        var bound32 = (double)(float)bound;
        var withinBounds = w[0] >= -bound32 && w[^1] <= bound32;
        return (withinBounds
                && d < critical
                && Math.Abs(mean) < 5 * Math.Sqrt(expectedVariance / n)
                && Math.Abs(variance - expectedVariance) < 5 * expectedVariance * Math.Sqrt(0.8 / n))
            .Label($"in={inFeatures}: D={d:E3} (critical {critical:E3}), mean={mean:E3}, variance={variance:E4} vs {expectedVariance:E4}");
    }

    [Property(MaxTest = 50)]
    public Property Default_bias_lies_within_one_over_sqrt_in(NonNegativeInt inChoice, PositiveInt outChoice, int seed)
    {
        var inFeatures = inChoice.Get % 50;
        var layer = new Linear(new Key((ulong)seed), inFeatures, 1 + (outChoice.Get % 50));
        var bound = (double)(float)(inFeatures == 0 ? 0 : 1 / Math.Sqrt(inFeatures));
        return (layer.Bias is { } b && b.ToFloat64Array().All(v => Math.Abs(v) <= bound)).Label($"in={inFeatures}");
    }
}
