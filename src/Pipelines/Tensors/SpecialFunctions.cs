namespace Pipelines.Tensors;

/// <summary>
/// Scalar special functions in double precision that .NET lacks or computes inaccurately: the error function and its
/// inverse (Maclaurin series near zero, Lentz's continued fraction for the tail, Newton refinement for the inverse,
/// accurate to about 1e-14), log1p and expm1 exact near zero, and the overflow-free logistic function.
/// </summary>
public static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>erf(x) = 2/√π ∫₀ˣ e^(−t²) dt.</summary>
    /// <param name="x">The argument.</param>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
            return double.NaN;
        return Math.Abs(x) < 2.5 ? ErfSeries(x) : Math.Sign(x) * (1 - ErfcTail(Math.Abs(x)));
    }

    /// <summary>erfc(x) = 1 − erf(x), accurate in the tail where 1 − erf(x) would cancel.</summary>
    /// <param name="x">The argument.</param>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
            return double.NaN;
        if (Math.Abs(x) < 2.5)
            return 1 - ErfSeries(x);
        return x > 0 ? ErfcTail(x) : 2 - ErfcTail(-x);
    }

    /// <summary>The inverse of <see cref="Erf"/> on [−1, 1] (±∞ at ±1, NaN outside).</summary>
    /// <param name="y">A value of erf.</param>
    public static double Erfinv(double y)
    {
        if (double.IsNaN(y) || y < -1 || y > 1)
            return double.NaN;
        if (y == 1)
            return double.PositiveInfinity;
        if (y == -1)
            return double.NegativeInfinity;
        if (y == 0)
            return y;
        // Winitzki's closed form (relative error ~2e-3) as the start, then Newton steps on erf(x) = y.
        const double a = 0.147;
        var ln = Math.Log((1 - y) * (1 + y));
        var t = (2 / (Math.PI * a)) + (ln / 2);
        var x = Math.Sign(y) * Math.Sqrt(Math.Sqrt((t * t) - (ln / a)) - t);
        for (var i = 0; i < 8; i++)
        {
            var step = (Erf(x) - y) / (TwoOverSqrtPi * Math.Exp(-x * x));
            x -= step;
            if (Math.Abs(step) <= 1e-15 * Math.Abs(x))
                break;
        }
        return x;
    }

    /// <summary>log(1 + x), accurate for tiny x where 1 + x rounds (Kahan's trick; .NET's LogP1 is log(x + 1)).</summary>
    /// <param name="x">The argument, greater than −1.</param>
    public static double Log1p(double x)
    {
        var u = 1 + x;
        return u == 1 ? x : double.IsInfinity(u) ? u : Math.Log(u) * x / (u - 1);
    }

    /// <summary>eˣ − 1, accurate for tiny x (Kahan's trick; .NET's ExpM1 is exp(x) − 1).</summary>
    /// <param name="x">The argument.</param>
    public static double Expm1(double x)
    {
        var u = Math.Exp(x);
        if (u == 1)
            return x;
        var um1 = u - 1;
        return um1 == -1 || double.IsInfinity(u) ? um1 : um1 * x / Math.Log(u);
    }

    /// <summary>The standard normal cumulative distribution Φ(x).</summary>
    /// <param name="x">The argument.</param>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>The logistic function 1 / (1 + e⁻ˣ) in the form that never overflows.</summary>
    /// <param name="x">The argument.</param>
    public static double Logistic(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    private static double ErfSeries(double x)
    {
        // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)); at |x| < 2.5 the largest term is ~16, so ~1e-14 is kept.
        var x2 = x * x;
        var term = x;
        var sum = x;
        for (var n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            var contribution = term / ((2 * n) + 1);
            sum += contribution;
            if (Math.Abs(contribution) < 1e-17 * Math.Abs(sum))
                break;
        }
        return TwoOverSqrtPi * sum;
    }

    private static double ErfcTail(double x)
    {
        // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated by the modified Lentz method.
        const double tiny = 1e-300;
        var f = x;
        var c = x;
        var d = 0.0;
        for (var n = 1; n < 500; n++)
        {
            var an = n / 2.0;
            d = x + (an * d);
            d = Math.Abs(d) < tiny ? tiny : d;
            c = x + (an / c);
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
                break;
        }
        return Math.Exp(-x * x) / (Math.Sqrt(Math.PI) * f);
    }
}
