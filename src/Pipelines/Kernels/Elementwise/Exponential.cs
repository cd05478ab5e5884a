using System.Numerics;

namespace Pipelines.Kernels;

/// <summary>
/// eˣ and eˣ − 1 written once in lane operations, so every lane's bits depend on that lane alone: no branch on the
/// whole vector, no scalar fallback for some vectors, and only explicit fused multiply-adds (never one the JIT may or
/// may not fuse).
/// .NET's vector exponential takes a per-vector scalar path when any lane is NaN or beyond about ±708, which changes
/// the last bit of its neighbours, so a batch's element would differ from that element alone.
/// </summary>
/// <remarks>
/// eˣ = 2ⁿ·eʳ with n = round(x·log₂e) and r = x − n·ln 2 (ln 2 split in two so the product is exact); eʳ by its Taylor
/// series on |r| ≤ ln 2 / 2 to below an ulp of the element type; 2ⁿ applied in two halves so that neither leaves the
/// normal range before the result reaches infinity or the subnormals.
/// </remarks>
internal static class Exponential
{
    /// <summary>eˣ per lane: +∞ above the type's range, 0 below it, NaN for NaN.</summary>
    /// <typeparam name="TOps">The lane operations of the width.</typeparam>
    /// <typeparam name="TVector">The width's vector type.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="x">The lanes.</param>
    public static TVector Exp<TOps, TVector, T>(TVector x)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (n, r) = Reduce<TOps, TVector, T>(x);
        return Scale<TOps, TVector, T>(Horner<TOps, TVector, T>(r, Constants<T>.Taylor, 0), n);
    }

    /// <summary>
    /// eˣ − 1 per lane, accurate to the last bits for small x, where eˣ − 1 would cancel: on |x| &lt; ½ the series
    /// without its constant term, unreduced (so −0 stays −0); elsewhere 2ⁿ·(eʳ − 1) + (2ⁿ − 1) in one rounding, where
    /// the cancellation is mild, written as 2ⁿ·((eʳ − 1) + (1 − 2⁻ⁿ)) for n &gt; 0 so that 2ⁿ may overflow only with
    /// the result.
    /// </summary>
    /// <typeparam name="TOps">The lane operations of the width.</typeparam>
    /// <typeparam name="TVector">The width's vector type.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="x">The lanes.</param>
    public static TVector ExpM1<TOps, TVector, T>(TVector x)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (n, r) = Reduce<TOps, TVector, T>(x);
        var (zero, one) = (TOps.Broadcast(T.Zero), TOps.Broadcast(T.One));
        var q = SeriesWithoutOne<TOps, TVector, T>(r, Constants<T>.Taylor);
        var power = Scale<TOps, TVector, T>(one, n);
        var below = TOps.MultiplyAdd(power, q, TOps.Subtract(power, one));
        var above = Scale<TOps, TVector, T>(TOps.Add(q, TOps.Subtract(one, Scale<TOps, TVector, T>(one, TOps.Negate(n)))), n);
        var reduced = TOps.SelectWhereGreater(n, zero, above, below);
        var small = SeriesWithoutOne<TOps, TVector, T>(x, Constants<T>.SmallTaylor);
        var (half, negativeHalf) = (TOps.Broadcast(T.CreateTruncating(0.5)), TOps.Broadcast(T.CreateTruncating(-0.5)));
        return TOps.SelectWhereLess(x, half, TOps.SelectWhereGreater(x, negativeHalf, small, reduced), reduced);
    }

    /// <summary>Σ cₖ·xᵏ for k ≥ 1: the series from its linear term, times x last so that −0 and tiny x stay exact.</summary>
    private static TVector SeriesWithoutOne<TOps, TVector, T>(TVector x, T[] coefficients)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        TOps.Multiply(Horner<TOps, TVector, T>(x, coefficients, 1), x);

    /// <summary>Σ cₖ·xᵏ⁻ˡᵒʷᵉˢᵗ for k ≥ lowest, by Horner's rule from the highest term in fused multiply-adds.</summary>
    private static TVector Horner<TOps, TVector, T>(TVector x, T[] coefficients, int lowest)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var p = TOps.Broadcast(coefficients[^1]);
        for (var k = coefficients.Length - 2; k >= lowest; k--)
            p = TOps.MultiplyAdd(p, x, TOps.Broadcast(coefficients[k]));
        return p;
    }

    /// <summary>n = round(x·log₂e) and r = x − n·ln 2, from x clamped to just past the type's range (NaN passes).</summary>
    private static (TVector N, TVector R) Reduce<TOps, TVector, T>(TVector x)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (highest, lowest) = (TOps.Broadcast(Constants<T>.Highest), TOps.Broadcast(Constants<T>.Lowest));
        var clamped = TOps.SelectWhereGreater(x, highest, highest, TOps.SelectWhereLess(x, lowest, lowest, x));
        var magic = TOps.Broadcast(Constants<T>.RoundingMagic);
        var n = TOps.Subtract(TOps.MultiplyAdd(clamped, TOps.Broadcast(Constants<T>.Log2E), magic), magic);
        var r = TOps.MultiplyAdd(n, TOps.Broadcast(Constants<T>.NegativeLn2High), clamped);
        return (n, TOps.MultiplyAdd(n, TOps.Broadcast(Constants<T>.NegativeLn2Low), r));
    }

    /// <summary>p·2ⁿ, in two halves of n so neither factor leaves the normal range.</summary>
    private static TVector Scale<TOps, TVector, T>(TVector p, TVector n)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var magic = TOps.Broadcast(Constants<T>.RoundingMagic);
        var half = TOps.Subtract(TOps.MultiplyAdd(n, TOps.Broadcast(T.CreateTruncating(0.5)), magic), magic);
        return TOps.ScaleByPowerOfTwo(TOps.ScaleByPowerOfTwo(p, half), TOps.Subtract(n, half));
    }

    /// <summary>The constants for one element type.</summary>
    private static class Constants<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private static readonly bool Single = typeof(T) == typeof(float);

        /// <summary>Past the largest finite result, so the clamped input still overflows to +∞.</summary>
        public static readonly T Highest = T.CreateTruncating(Single ? 89.0 : 710.0);

        /// <summary>Past the smallest subnormal result, so the clamped input still underflows to 0.</summary>
        public static readonly T Lowest = T.CreateTruncating(Single ? -104.0 : -746.0);

        /// <summary>1.5·2^(mantissa bits): adding it rounds to an integer.</summary>
        public static readonly T RoundingMagic = T.CreateTruncating(Single ? PowerOfTwo.SingleMagic : PowerOfTwo.DoubleMagic);

        public static readonly T Log2E = T.CreateTruncating(1.4426950408889634);

        /// <summary>The high part of ln 2, with trailing zero bits so that n times it is exact.</summary>
        public static readonly T NegativeLn2High = T.CreateTruncating(Single ? -0.693359375 : -0.6931471803691238);

        /// <summary>ln 2 minus its high part.</summary>
        public static readonly T NegativeLn2Low = T.CreateTruncating(Single ? 2.12194440e-4 : -1.9082149292705877e-10);

        /// <summary>1/k! for k = 0 … 7 (float) or 13 (double): the series' error is below half an ulp on |r| ≤ ln 2 / 2.</summary>
        public static readonly T[] Taylor = [.. Enumerable.Range(0, Single ? 8 : 14).Select(k => T.CreateTruncating(1 / Factorial(k)))];

        /// <summary>1/k! for k = 0 … 8 (float) or 14 (double): eˣ − 1's series to below half an ulp on |x| &lt; ½.</summary>
        public static readonly T[] SmallTaylor = [.. Enumerable.Range(0, Single ? 9 : 15).Select(k => T.CreateTruncating(1 / Factorial(k)))];

        private static double Factorial(int k) => k == 0 ? 1 : k * Factorial(k - 1);
    }
}
