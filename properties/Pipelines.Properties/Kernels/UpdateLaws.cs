using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Kernels;
using Pipelines.Kernels.Threading;
using Pipelines.Tensors;

namespace Pipelines.Properties.Kernels;

/// <summary>
/// The vectorised kernels around the products give every element the bits its scalar definition gives, wherever the
/// element sits: in a vector lane, in the scalar tail, or alone.
/// </summary>
[Properties(MaxTest = 60)]
public sealed class UpdateLaws
{
    private static readonly Gen<int> Length = Gen.Frequency((3, Gen.Choose(0, 70)), (1, Gen.Choose(1000, 2100)));

    /// <summary>Lengths as <see cref="Length"/>, and masks long enough to be drawn in parallel chunks.</summary>
    private static readonly Gen<int> MaskLength = Gen.Frequency((3, Length), (1, Gen.Choose(65_536, 140_000)));

    /// <summary>Drawing blocks many at a time gives each block's own bits, from any first block (across the 2³² carry too) and for any length.</summary>
    [Property]
    public Property Bits_drawn_in_lanes_equal_the_block_at_a_time_definition() => Prop.ForAll(
        (from seed in Generators.Seed
         from first in Gen.Elements(0UL, 1UL, 7UL, 0xFFFF_FFFCUL, 0xFFFF_FFFFUL, 0x1_2345_6789UL)
         from length in Length
         select (seed, first, length)).ToArbitrary(),
        c =>
        {
            var key = new Key(c.seed);
            var words = new uint[c.length];
            key.FillBits(c.first, words);
            var expected = Enumerable.Range(0, c.length).Select(i => key.Bits(c.first + ((ulong)i / 4))[i % 4]);
            return words.SequenceEqual(expected).Label($"seed={c.seed}, first block={c.first}, words={c.length}");
        });

    /// <summary>
    /// Element i of a dropout mask is 1/(1 − p) exactly when element i of the uniform draw is at least p, for any p: on a
    /// grid of draw values, between them, and equal to one of the mask's own draws or just above or below it; whether
    /// the mask is drawn in one piece or in parallel chunks.
    /// </summary>
    [Property]
    public Property Dropout_masks_keep_exactly_the_draws_at_least_p(bool float64) => Prop.ForAll(
        (from seed in Generators.Seed
         from length in MaskLength
         from grid in Gen.OneOf(Gen.Choose(0, 1 << 24).Select(k => k / (double)(1 << 24)), Gen.Choose(0, 999_999).Select(k => k / 1e6))
         from drawn in Gen.Choose(0, int.MaxValue)
         from nudge in Gen.Elements(-1, 0, 1, 2)
         select (seed, length, grid, drawn, nudge)).ToArbitrary(),
        c =>
        {
            var dtype = float64 ? DType.Float64 : DType.Float32;
            var key = new Key(c.seed);
            var p = c.nudge == 2 || c.length == 0 ? c.grid : Nudge(RandomBits.UnitInterval(key, c.drawn % c.length, dtype), c.nudge);
            var mask = DropoutMask.Create(key, new Shape(c.length), p, dtype).ToFloat64Array();
            var scale = float64 ? 1 / (1 - p) : (float)(1 / (1 - p));
            var expected = Enumerable.Range(0, c.length).Select(i => RandomBits.UnitInterval(key, i, dtype) >= p ? scale : 0);
            return mask.SequenceEqual(expected).Label($"seed={c.seed}, length={c.length}, p={p:R}, {dtype.Name()}");
        });

    private static double Nudge(double x, int direction) => direction switch { -1 => Math.BitDecrement(x), 1 => Math.BitIncrement(x), _ => x };

    /// <summary>
    /// The fused Adam kernel gives each element the bits it gives that element alone (the scalar form), whatever the
    /// tensor's length, with and without decays, AMSGrad, and each output.
    /// </summary>
    [Property]
    public Property Adam_gives_every_element_the_bits_it_gives_it_alone(bool float64, bool amsgrad, bool coupled, bool decoupled) => Prop.ForAll(
        (from seed in Generators.Seed
         from length in Length
         from output in Gen.Elements(AdamOutput.Direction, AdamOutput.Update, AdamOutput.Parameter)
         select (seed, length, output)).ToArbitrary(),
        c =>
        {
            var dtype = float64 ? DType.Float64 : DType.Float32;
            var keys = new Key(c.seed).Split(5);
            var shape = new Shape(c.length);
            var (g, m, p) = (Tensor.Normal(keys[0], shape, dtype: dtype), Tensor.Normal(keys[1], shape, dtype: dtype), Tensor.Normal(keys[2], shape, dtype: dtype));
            var v = Tensor.Uniform(keys[3], shape, dtype: dtype);
            var vmax = amsgrad ? Tensor.Uniform(keys[4], shape, dtype: dtype) : null;
            var coefficients = new AdamCoefficients(0.9, 0.999, 1e-8, 1 - Math.Pow(0.9, 3), Math.Sqrt(1 - Math.Pow(0.999, 3)), amsgrad, coupled ? 0.01 : 0, decoupled ? 0.02 : 0, 0.1);
            var whole = AdamKernel.Step(g, m, v, vmax, p, coefficients, c.output);
            for (var i = 0; i < c.length; i++)
            {
                var one = AdamKernel.Step(g[i..(i + 1)], m[i..(i + 1)], v[i..(i + 1)], vmax?[i..(i + 1)], p[i..(i + 1)], coefficients, c.output);
                var same = one.M.BitwiseEquals(whole.M[i..(i + 1)]) && one.V.BitwiseEquals(whole.V[i..(i + 1)])
                    && one.Result.BitwiseEquals(whole.Result[i..(i + 1)]) && (vmax is null || one.Maximum!.BitwiseEquals(whole.Maximum![i..(i + 1)]));
                if (!same)
                    return false.Label($"element {i} of {c.length}, seed={c.seed}, {c.output}, {dtype.Name()}");
            }
            return true.ToProperty();
        });

    /// <summary>
    /// The fused Adam step equals its formula written out one rounded operation at a time, every division included, at
    /// any step: early, around the step where 1 − β₁ᵗ first rounds to 1 in the element type (about 165 in float32), and
    /// late enough for √(1 − β₂ᵗ) to round to 1 as well, where the kernel leaves the divisions by one out.
    /// </summary>
    [Property]
    public Property Adam_equals_its_formula_with_every_division_at_any_step(bool float64) => Prop.ForAll(
        (from seed in Generators.Seed
         from length in Length
         from step in Gen.Elements(1, 2, 10, 150, 164, 165, 166, 340, 1000, 17_000, 20_000, 100_000)
         select (seed, length, step)).ToArbitrary(),
        c => float64 ? AdamMatchesFormula<double>(c.seed, c.length, c.step) : AdamMatchesFormula<float>(c.seed, c.length, c.step));

    private static Property AdamMatchesFormula<T>(ulong seed, int length, int step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var dtype = typeof(T) == typeof(double) ? DType.Float64 : DType.Float32;
        var keys = new Key(seed).Split(4);
        var shape = new Shape(length);
        var (g, m, p) = (Tensor.Normal(keys[0], shape, dtype: dtype), Tensor.Normal(keys[1], shape, dtype: dtype), Tensor.Normal(keys[2], shape, dtype: dtype));
        var v = Tensor.Uniform(keys[3], shape, dtype: dtype);
        var (correction1, correction2) = (1 - Math.Pow(0.9, step), Math.Sqrt(1 - Math.Pow(0.999, step)));
        var result = AdamKernel.Step(g, m, v, null, p, new AdamCoefficients(0.9, 0.999, 1e-8, correction1, correction2, false, 0, 0.02, 0.1), AdamOutput.Parameter);
        static T Of(double x) => T.CreateTruncating(x);
        var (gs, ms, vs, ps) = (g.AsSpan<T>().ToArray(), m.AsSpan<T>().ToArray(), v.AsSpan<T>().ToArray(), p.AsSpan<T>().ToArray());
        var (nextM, nextV, next) = (result.M.AsSpan<T>().ToArray(), result.V.AsSpan<T>().ToArray(), result.Result.AsSpan<T>().ToArray());
        for (var i = 0; i < length; i++)
        {
            var mi = (ms[i] * Of(0.9)) + (gs[i] * Of(1 - 0.9));
            var vi = (vs[i] * Of(0.999)) + (gs[i] * gs[i] * Of(1 - 0.999));
            var d = (mi / Of(correction1)) / ((T.Sqrt(vi) / Of(correction2)) + Of(1e-8));
            d += ps[i] * Of(0.02);
            var u = d * Of(-0.1);
            var expected = u == T.Zero ? ps[i] : ps[i] + u;
            if (!Same(nextM[i], mi) || !Same(nextV[i], vi) || !Same(next[i], expected))
                return false.Label($"element {i} of {length} at step {step}, seed={seed}, {dtype.Name()}: {next[i]} against {expected}");
        }
        return true.ToProperty();
    }

    private static bool Same<T>(T a, T b)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        typeof(T) == typeof(double)
            ? BitConverter.DoubleToInt64Bits((double)(object)a) == BitConverter.DoubleToInt64Bits((double)(object)b)
            : BitConverter.SingleToInt32Bits((float)(object)a) == BitConverter.SingleToInt32Bits((float)(object)b);

    /// <summary>Long tensors are split across threads; the split never changes a bit of Adam's results or of an element-wise map.</summary>
    [Property(MaxTest = 8)]
    public Property Splitting_long_updates_across_threads_changes_no_bit(bool float64) => Prop.ForAll(
        (from seed in Generators.Seed
         from length in Gen.Elements(65_536, 65_537, 100_003, 262_144)
         select (seed, length)).ToArbitrary(),
        c =>
        {
            var dtype = float64 ? DType.Float64 : DType.Float32;
            var keys = new Key(c.seed).Split(4);
            var shape = new Shape(c.length);
            var (g, m, p) = (Tensor.Normal(keys[0], shape, dtype: dtype), Tensor.Normal(keys[1], shape, dtype: dtype), Tensor.Normal(keys[2], shape, dtype: dtype));
            var v = Tensor.Uniform(keys[3], shape, dtype: dtype);
            var coefficients = new AdamCoefficients(0.9, 0.999, 1e-8, 0.1, 0.03, false, 0, 0.01, 1e-3);
            (Tensor M, Tensor V, Tensor Result, Tensor Sum) Run(int threads)
            {
                var previous = ThreadBudget.MaxThreads;
                ThreadBudget.MaxThreads = threads;
                try
                {
                    var adam = AdamKernel.Step(g, m, v, null, p, coefficients, AdamOutput.Parameter);
                    var sum = float64 ? Elementwise.Map<AddUnlessZero<double>, double>(p, g, default) : Elementwise.Map<AddUnlessZero<float>, float>(p, g, default);
                    return (adam.M, adam.V, adam.Result, sum);
                }
                finally
                {
                    ThreadBudget.MaxThreads = previous;
                }
            }
            var (one, two) = (Run(1), Run(2));
            return (one.M.BitwiseEquals(two.M) && one.V.BitwiseEquals(two.V) && one.Result.BitwiseEquals(two.Result) && one.Sum.BitwiseEquals(two.Sum))
                .Label($"seed={c.seed}, length={c.length}, {dtype.Name()}");
        });
}
