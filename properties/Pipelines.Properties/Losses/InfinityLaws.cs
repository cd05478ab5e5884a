using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Properties.Losses;

/// <summary>Rows of logits whose entries are −∞, ±10⁴, +∞ or ordinary, with a target, in float64.</summary>
public sealed record ExtremeRows(double[][] Logits, long[] Classes, double[][] Bits)
{
    public override string ToString() =>
        string.Join("; ", Logits.Select((row, i) => $"[{string.Join(", ", row)}] → {Classes[i]} / [{string.Join(", ", Bits[i])}]"));
}

public static class ExtremeArbitraries
{
    private static readonly Gen<double> Entry = Gen.Frequency(
        (2, Gen.Constant(double.NegativeInfinity)),
        (1, Gen.Constant(double.PositiveInfinity)),
        (2, Gen.Elements(-1e4, 1e4)),
        (4, Gen.Choose(-3000, 3000).Select(v => v / 1000.0)));

    public static Arbitrary<ExtremeRows> Rows() =>
        (from rows in Gen.Choose(1, 4)
         from classes in Gen.Choose(2, 5)
         from logits in Gen.ArrayOf(Gen.ArrayOf(Entry, classes), rows)
         from targets in Gen.ArrayOf(Gen.Choose(0, classes - 1).Select(c => (long)c), rows)
         from bits in Gen.ArrayOf(Gen.ArrayOf(Gen.Elements(0.0, 0.25, 1.0), classes), rows)
         select new ExtremeRows(logits, targets, bits)).ToArbitrary();
}

[Properties(Arbitrary = [typeof(ExtremeArbitraries)], MaxTest = 300)]
public sealed class InfinityLaws
{
    /// <summary>
    /// Cross-entropy of a row is log Σ e^z − z_target: finite (never NaN) whenever the target's logit is finite and no logit
    /// is +∞, whatever −∞ masks the others; its gradient is softmax − onehot, finite too. The oracle sums the row's
    /// exponentials from the largest logit, by cases.
    /// </summary>
    [Property]
    public Property Cross_entropy_is_exact_and_finite_with_masked_classes(ExtremeRows c)
    {
        var usable = Enumerable.Range(0, c.Logits.Length).Where(i => double.IsFinite(c.Logits[i][c.Classes[i]]) && c.Logits[i].All(v => v != double.PositiveInfinity)).ToArray();
        return Prop.When(usable.Length > 0, () =>
        {
            var logits = usable.Select(i => c.Logits[i]).ToArray();
            var classes = usable.Select(i => c.Classes[i]).ToArray();
            var input = Tensor.FromSpan(logits.SelectMany(r => r).ToArray(), new Shape(logits.Length, logits[0].Length));
            var result = Loss.CrossEntropy(input, classes, Reduction.Sum);
            var expected = logits.Select((row, i) => LogSumExp(row) - row[classes[i]]).Sum();
            var gradient = result.Gradient.ToFloat64Array();
            return (Math.Abs(result.Value - expected) <= 1e-12 * (1 + Math.Abs(expected)) && gradient.All(double.IsFinite))
                .Label($"{c}: ours {result.Value:R}, oracle {expected:R}");
        });
    }

    /// <summary>
    /// Binary cross-entropy with logits is +∞ (not NaN) where the loss is infinite (z = +∞ with t &lt; 1, z = −∞ with t &gt; 0),
    /// 0 at the matching infinity, and the exact log-sum-exp value elsewhere; its gradient is (1 − t)·σ(z) − t·σ(−z), always finite.
    /// </summary>
    [Property]
    public Property Binary_cross_entropy_with_logits_is_right_at_the_infinities(ExtremeRows c)
    {
        var z = c.Logits.SelectMany(r => r).ToArray();
        var t = c.Bits.SelectMany(r => r).ToArray();
        var shape = new Shape(c.Logits.Length, c.Logits[0].Length);
        var result = Loss.BinaryCrossEntropyWithLogits(Tensor.FromSpan(z, shape), Tensor.FromSpan(t, shape), Reduction.Sum);
        var expected = z.Select((v, i) => Oracle(v, t[i])).Sum();
        var gradient = result.Gradient.ToFloat64Array();
        var expectedGradient = z.Select((v, i) => ((1 - t[i]) * Logistic(v)) - (t[i] * Logistic(-v))).ToArray();
        var valueOk = result.Value == expected || Math.Abs(result.Value - expected) <= 1e-12 * (1 + Math.Abs(expected));
        var gradientOk = gradient.Select((g, i) => double.IsFinite(g) && Math.Abs(g - expectedGradient[i]) <= 1e-15).All(ok => ok);
        return (valueOk && gradientOk).Label($"{c}: ours {result.Value:R}, oracle {expected:R}");
    }

    /// <summary>log Σ e^v over a row with at least one finite entry and none +∞: the largest entry plus the log of the rest's ratios.</summary>
    private static double LogSumExp(double[] row)
    {
        var max = row.Max();
        return max + Math.Log(row.Sum(v => double.IsNegativeInfinity(v) ? 0 : Math.Exp(v - max)));
    }

    /// <summary>−t·log σ(z) − (1 − t)·log(1 − σ(z)) by cases: the limits at ±∞ spelled out, log1p forms in between.</summary>
    private static double Oracle(double z, double t)
    {
        if (double.IsPositiveInfinity(z))
            return t < 1 ? double.PositiveInfinity : 0;
        if (double.IsNegativeInfinity(z))
            return t > 0 ? double.PositiveInfinity : 0;
        var softplusMinus = z > 0 ? Math.Log(1 + Math.Exp(-z)) : -z + Math.Log(1 + Math.Exp(z));
        var softplusPlus = z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
        return (t == 0 ? 0 : t * softplusMinus) + (t == 1 ? 0 : (1 - t) * softplusPlus);
    }

    private static double Logistic(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));
}
