using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Kernels.Gemm;
using Pipelines.Tensors;

namespace Pipelines.Properties.Kernels;

[Properties(Arbitrary = [typeof(GemmArbitraries)], MaxTest = 150)]
public sealed class GemmLaws
{
    /// <summary>
    /// Each element of C is within γ_K·Σₚ|a_ip·b_pj| of the exact product (γ_K = K·u/(1 − K·u), u = 2⁻²⁴): the classical
    /// bound for a length-K sum of float32 products however it is rounded, doubled for the double-precision reference's own
    /// error. A wrong or missing term is off by about |a·b|, orders of magnitude beyond it.
    /// </summary>
    [Property]
    public Property Float32_products_equal_the_reference_within_the_rounding_bound(GemmCase c) =>
        MatchesReference<float>(c, Math.Pow(2, -24)).Label(c.ToString());

    /// <summary>The same bound for float64 (u = 2⁻⁵³).</summary>
    [Property]
    public Property Float64_products_equal_the_reference_within_the_rounding_bound(GemmCase c) =>
        MatchesReference<double>(c, Math.Pow(2, -53)).Label(c.ToString());

    /// <summary>
    /// Every element is exactly c = init; c = fma(a_ip, b_pj, c) for p in order (init the bias, C or 0): the engine equals
    /// that scalar loop bitwise, at every size, so no rounding slack hides a wrong term, a lost update or a reordering.
    /// </summary>
    [Property]
    public Property Float32_products_equal_the_fused_multiply_add_chain_bitwise(GemmCase c, bool withBias)
    {
        var (a, b, bias) = (c.A<float>(), c.B<float>(), c.Bias<float>());
        var ours = new float[Math.Max(0, c.M * c.Ldc)];
        c.Run(a, b, ours, withBias ? bias : null);
        var (ad, bd) = (a.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray());
        var agrees = Enumerable.Range(0, c.M).All(i => Enumerable.Range(0, c.N).All(j =>
        {
            var sum = withBias ? bias[j] : 0f;
            for (var p = 0; p < c.K; p++)
                sum = MathF.FusedMultiplyAdd((float)c.OpA(ad, i, p), (float)c.OpB(bd, p, j), sum);
            return BitConverter.SingleToInt32Bits(sum) == BitConverter.SingleToInt32Bits(ours[(i * c.Ldc) + j]);
        }));
        return agrees.Label(c.ToString());
    }

    [Property]
    public Property Every_vector_width_gives_the_same_bits(GemmCase c)
    {
        var results = VectorWidths.Available.Select(width => Compute<float>(c, new GemmOptions(Threads: 1, Width: width))).ToList();
        return results.All(r => r.SequenceEqual(results[0])).Label($"{c}; widths {string.Join(", ", VectorWidths.Available)}");
    }

    /// <summary>
    /// Blocking only reorders whole fused-multiply-add chains: any reduction block, row block and column block, and A
    /// packed or read in place (an L1 of one way packs every row-major A, caches of many ways read it in place), on one
    /// thread or three, gives the machine's own blocking's bits, and
    /// never reads C before writing it.
    /// </summary>
    [Property(MaxTest = 60)]
    public Property Blocking_never_changes_a_bit(GemmCase c, PositiveInt kc, PositiveInt rowTiles, PositiveInt panels, bool packA, bool threaded)
    {
        var machine = BlockSizes.For<float>(VectorWidths.Best);
        var blocking = machine with
        {
            Kc = 1 + (kc.Get % 300),
            Mc = machine.Mr * (1 + (rowTiles.Get % 12)),
            Nc = machine.Nr * (1 + (panels.Get % 5)),
            L1 = packA ? new CacheLevel(64, 1, 64, 1) : new CacheLevel(64 << 10, 64, 64, 1),
            L2 = packA ? machine.L2 : new CacheLevel(64 << 20, 1024, 64, 1),
        };
        var (drawn, options) = threaded ? (c.Grown(), new GemmOptions(Threads: 3)) : (c, new GemmOptions(Threads: 1));
        return Overwritten(drawn, options with { Blocking = blocking }).SequenceEqual(Overwritten(drawn, options))
            .Label($"{drawn} kc={blocking.Kc} mc={blocking.Mc} nc={blocking.Nc} packs A={packA} threads={options.Threads}");
    }

    /// <summary>C overwritten with the bias added, from a C of NaNs, so a block that reads C before it holds a partial sum shows.</summary>
    private static float[] Overwritten(GemmCase c, GemmOptions options)
    {
        var output = Enumerable.Repeat(float.NaN, Math.Max(0, c.M * c.Ldc)).ToArray();
        c.Run(c.A<float>(), c.B<float>(), output, c.Bias<float>(), options: options);
        return output;
    }

    /// <summary>Cases grown past the 4 MFLOP threshold below which products stay on one thread, keeping their edge remainders.</summary>
    [Property(MaxTest = 25)]
    public Property Thread_count_leaves_the_result_bitwise_unchanged(GemmCase c)
    {
        var big = c.Grown();
        var one = Compute<float>(big, new GemmOptions(Threads: 1));
        return new[] { 2, 3, 7 }.All(t => Compute<float>(big, new GemmOptions(Threads: t)).SequenceEqual(one)).Label(big.ToString());
    }

    /// <summary>Row i of C depends on row i of A alone, bitwise: on the case as drawn and grown onto the threaded path.</summary>
    [Property(MaxTest = 60)]
    public Property Row_i_does_not_depend_on_the_other_rows(GemmCase c, PositiveInt split) =>
        Prop.When(c.Product != Product.TransposeMultiply && c.M >= 2, () =>
            RowsIndependent(c, split.Get, default).Label($"{c} split after {1 + (split.Get % (c.M - 1))} rows")
                .And(RowsIndependent(c.Grown(), split.Get, new GemmOptions(Threads: 3)).Label($"{c.Grown()} on 3 threads")));

    [Property]
    public Property Transposing_the_product_swaps_and_transposes_the_factors(GemmCase c)
    {
        // (A·B)ᵀ = Bᵀ·Aᵀ: compute C = A·B with Multiply and Cᵀ = Bᵀ·Aᵀ with TransposeMultiply on the same storage.
        var square = c with { Product = Product.Multiply, Pad = 0 };
        var a = square.A<double>();
        var b = square.B<double>();
        var ab = new double[square.M * square.N];
        Gemm.Multiply<double>(a, Math.Max(1, square.K), b, Math.Max(1, square.N), ab, Math.Max(1, square.N), square.M, square.N, square.K);
        var btat = new double[square.N * square.M];
        Gemm.TransposeMultiply<double>(b, Math.Max(1, square.N), Tensor.FromSpan(a.AsSpan(0, square.M * square.K), new Shape(square.M, square.K)).Transpose().ToFloat64Array(), Math.Max(1, square.M), btat, Math.Max(1, square.M), square.N, square.M, square.K);
        var ok = Enumerable.Range(0, square.M).All(i => Enumerable.Range(0, square.N).All(j =>
            Math.Abs(ab[(i * square.N) + j] - btat[(j * square.M) + i]) <= 1e-13 * (square.K + 1)));
        return ok.Label(square.ToString());
    }

    [Property]
    public Property Accumulating_equals_adding_afterwards(GemmCase c)
    {
        var start = c.C<double>();
        var accumulated = (double[])start.Clone();
        c.Run(c.A<double>(), c.B<double>(), accumulated, accumulate: true);
        var product = Compute<double>(c);
        var ok = Enumerable.Range(0, c.M).All(i => Enumerable.Range(0, c.N).All(j =>
            Math.Abs(accumulated[(i * c.Ldc) + j] - (start[(i * c.Ldc) + j] + product[(i * c.Ldc) + j])) <= 1e-14 * (c.K + 2)));
        return ok.Label(c.ToString());
    }

    [Property]
    public Property The_bias_epilogue_adds_the_bias_to_every_row(GemmCase c)
    {
        var bias = c.Bias<double>();
        var withBias = new double[c.M * c.Ldc];
        c.Run(c.A<double>(), c.B<double>(), withBias, bias);
        var product = Compute<double>(c);
        var ok = Enumerable.Range(0, c.M).All(i => Enumerable.Range(0, c.N).All(j =>
            Math.Abs(withBias[(i * c.Ldc) + j] - (bias[j] + product[(i * c.Ldc) + j])) <= 1e-14 * (c.K + 2)));
        return ok.Label(c.ToString());
    }

    [Property]
    public Property Padding_between_rows_of_C_is_never_written(GemmCase c)
    {
        var padded = c with { Pad = 3 };
        var output = Enumerable.Repeat(float.NaN, padded.M * padded.Ldc).ToArray();
        padded.Run(padded.A<float>(), padded.B<float>(), output);
        var untouched = Enumerable.Range(0, padded.M).All(i => Enumerable.Range(padded.N, 3).All(j => float.IsNaN(output[(i * padded.Ldc) + j])));
        return untouched.Label(padded.ToString());
    }

    private static bool RowsIndependent(GemmCase c, int split, GemmOptions options)
    {
        var whole = Compute<float>(c, options);
        var top = (split % (c.M - 1)) + 1;
        var a = c.A<float>();
        var first = Compute<float>(c with { M = top }, options, a[..(top * c.Lda)]);
        var second = Compute<float>(c with { M = c.M - top }, options, a[(top * c.Lda)..]);
        return whole.SequenceEqual(first.Concat(second));
    }

    private static bool MatchesReference<T>(GemmCase c, double unitRoundoff)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var a = c.A<T>();
        var b = c.B<T>();
        var ours = Compute<T>(c, default, a);
        var (ad, bd) = (a.Select(v => double.CreateChecked(v)).ToArray(), b.Select(v => double.CreateChecked(v)).ToArray());
        var reference = ReferenceGemm.Multiply(c.M, c.N, c.K, (i, p) => c.OpA(ad, i, p), (p, j) => c.OpB(bd, p, j));
        var magnitudes = ReferenceGemm.Multiply(c.M, c.N, c.K, (i, p) => Math.Abs(c.OpA(ad, i, p)), (p, j) => Math.Abs(c.OpB(bd, p, j)));
        var gamma = c.K * unitRoundoff / (1 - (c.K * unitRoundoff));
        return Enumerable.Range(0, c.M).All(i => Enumerable.Range(0, c.N).All(j =>
            Math.Abs(double.CreateChecked(ours[(i * c.Ldc) + j]) - reference[(i * c.N) + j]) <= 2 * gamma * magnitudes[(i * c.N) + j]));
    }

    private static T[] Compute<T>(GemmCase c, GemmOptions options = default, T[]? a = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var output = new T[Math.Max(0, c.M * c.Ldc)];
        c.Run(a ?? c.A<T>(), c.B<T>(), output, options: options);
        return output;
    }
}
