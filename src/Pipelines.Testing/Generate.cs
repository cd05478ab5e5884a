using FsCheck;
using FsCheck.Fluent;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Testing;

/// <summary>
/// FsCheck generators that reach the edges: extents of 0 and 1, small primes, powers of two and their neighbours, ranks 1
/// to 6; tensors in float32 and float64 (with ±∞, NaN and subnormals when asked); keys; inputs that fit a layer;
/// random <see cref="Linear"/> layers and networks of the library's layers.
/// </summary>
public static class Generate
{
    /// <summary>Axis extents worth trying: empty, single, small primes, powers of two and their neighbours.</summary>
    public static Gen<int> Extent { get; } = Gen.Elements(0, 1, 1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 32);

    /// <summary>Keys from seeds across the 31-bit range.</summary>
    public static Gen<Key> Key { get; } = Gen.Choose(0, int.MaxValue).Select(seed => new Key((ulong)seed));

    /// <summary>Shapes of rank <paramref name="minRank"/> to <paramref name="maxRank"/> with at most <paramref name="maxElements"/> elements.</summary>
    /// <param name="minRank">The least rank.</param>
    /// <param name="maxRank">The greatest rank.</param>
    /// <param name="maxElements">The most elements.</param>
    public static Gen<Shape> Shape(int minRank = 1, int maxRank = 6, int maxElements = 4096) =>
        from rank in Gen.Choose(minRank, maxRank)
        from dims in Gen.ArrayOf(Extent, rank)
        select new Shape([.. Fit(dims, maxElements)]);

    /// <summary>Tensors of <paramref name="shape"/> with normal values (and special ones when asked).</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">float32 or float64.</param>
    /// <param name="special">Which special values may appear.</param>
    public static Gen<Tensor> Tensor(Shape shape, DType dtype = DType.Float64, SpecialValues special = SpecialValues.None) =>
        Key.Select(key => Values(key, shape, dtype, special));

    /// <summary>
    /// Inputs for a layer whose examples have shape <paramref name="example"/>: up to <paramref name="maxLeadingRank"/>
    /// leading extents (zeros included) with at most <paramref name="maxElements"/> elements in all, shrinking to fewer
    /// and smaller leading extents.
    /// </summary>
    /// <param name="example">One example's shape, e.g. [8].</param>
    /// <param name="dtype">The values' dtype (float64 for gradient checks).</param>
    /// <param name="minLeadingRank">The least number of leading extents (1 for laws about rows).</param>
    /// <param name="maxLeadingRank">The most leading extents.</param>
    /// <param name="maxElements">The most elements of an input.</param>
    /// <param name="special">Which special values may appear.</param>
    public static Arbitrary<LayerInput> Inputs(Shape example, DType dtype = DType.Float64, int minLeadingRank = 0, int maxLeadingRank = 3, int maxElements = 512, SpecialValues special = SpecialValues.None)
    {
        var perExample = Math.Max(1, example.ElementCount);
        var gen =
            from rank in Gen.Choose(minLeadingRank, maxLeadingRank)
            from leading in Gen.ArrayOf(Gen.Elements(0, 1, 1, 2, 3, 5, 7), rank)
            from seed in Gen.Choose(0, int.MaxValue)
            select new LayerInput([.. Fit(leading, Math.Max(1, maxElements / perExample))], example, (ulong)seed, dtype, special);
        return Arb.From(gen, input => Shrink(input, minLeadingRank));
    }

    /// <summary>Random linear layers: 1 to 32 features in and out, with and without bias.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public static Gen<Linear> Linear(DType dtype = DType.Float64) =>
        from inFeatures in Extent.Where(e => e > 0)
        from outFeatures in Extent.Where(e => e > 0)
        from bias in Gen.Elements(true, false)
        from key in Key
        select new Linear(key, inFeatures, outFeatures, bias, dtype: dtype);

    /// <summary>Random networks of the library's row-wise layers (Linear, activations, LayerNorm, Residual), with the example shape they take.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public static Gen<Network> Network(DType dtype = DType.Float64) =>
        from blocks in Gen.Choose(1, 4)
        from widths in Gen.ArrayOf(Gen.Elements(1, 2, 3, 5, 8, 13), blocks + 1)
        from activations in Gen.ArrayOf(Gen.Elements<Func<int, Layer>>(_ => new ReLU(), _ => new Tanh(), _ => new GELU(), _ => new SiLU(), w => new LayerNorm(new Shape(w), dtype: dtype)), blocks)
        from residual in Gen.Elements(true, false)
        from key in Key
        select new Network(Build(widths, activations, residual, key, dtype), new Shape(widths[0]));

    /// <summary>Values for a shape from a key: standard normal draws, some replaced by special values when asked.</summary>
    internal static Tensor Values(Key key, Shape shape, DType dtype, SpecialValues special)
    {
        var values = Tensors.Tensor.Normal(key, shape, dtype: DType.Float64).ToFloat64Array();
        if (special != SpecialValues.None)
        {
            var picks = Tensors.Tensor.Uniform(key.Fold(1), new Shape(values.Length), dtype: DType.Float64).ToFloat64Array();
            var choices = new List<double>();
            if (special.HasFlag(SpecialValues.Infinities))
                choices.AddRange([double.PositiveInfinity, double.NegativeInfinity]);
            if (special.HasFlag(SpecialValues.NaN))
                choices.Add(double.NaN);
            if (special.HasFlag(SpecialValues.Denormals))
                choices.AddRange(dtype == DType.Float32 ? [1e-40, -1e-42, 0.0, -0.0] : [5e-324, -1e-310, 0.0, -0.0]);
            for (var i = 0; i < values.Length; i++)
            {
                if (picks[i] < 0.15)
                    values[i] = choices[(int)(picks[i] / 0.15 * choices.Count) % choices.Count];
            }
        }
        return Tensors.Tensor.FromSpan(values, shape).To(dtype);
    }

    private static IEnumerable<LayerInput> Shrink(LayerInput input, int minLeadingRank)
    {
        if (input.Leading.Length > minLeadingRank)
            yield return input with { Leading = input.Leading[1..] };
        for (var d = 0; d < input.Leading.Length; d++)
        {
            if (input.Leading[d] > 1)
                yield return input with { Leading = [.. input.Leading[..d], input.Leading[d] / 2, .. input.Leading[(d + 1)..]] };
        }
    }

    /// <summary>The extents, the largest halved until the product fits.</summary>
    private static int[] Fit(int[] dims, int maxElements)
    {
        var fitted = (int[])dims.Clone();
        while (fitted.Aggregate(1L, (a, b) => a * b) > maxElements)
        {
            var largest = Array.IndexOf(fitted, fitted.Max());
            fitted[largest] /= 2;
        }
        return fitted;
    }

    private static Layer Build(int[] widths, Func<int, Layer>[] activations, bool residual, Key key, DType dtype)
    {
        var keys = key.Split(widths.Length);
        var layers = new List<Layer>();
        for (var i = 0; i + 1 < widths.Length; i++)
        {
            Layer block = new Linear(keys[i], widths[i], widths[i + 1], dtype: dtype) >> activations[i](widths[i + 1]);
            layers.Add(residual && widths[i] == widths[i + 1] ? new Residual(block) : block);
        }
        return layers.Aggregate((a, b) => a >> b);
    }
}

/// <summary>A generated network and the shape of one example it takes.</summary>
/// <param name="Model">The network.</param>
/// <param name="Example">One example's shape, e.g. [5].</param>
public sealed record Network(Layer Model, Shape Example)
{
    /// <summary>The network's summary line, e.g. <c>network 5 → … (Linear, ReLU, …)</c>.</summary>
    public override string ToString() => $"network taking {Example}: {string.Join(" >> ", Model.NamedParameters().Names.Take(6))}{(Model.NamedParameters().Count > 6 ? " …" : string.Empty)}";
}
