using FsCheck;
using FsCheck.Fluent;
using LanguageExt;
using Pipelines.Layers;
using Pipelines.Tensors;
using static LanguageExt.Prelude;

namespace Pipelines.Properties;

/// <summary>
/// A linear layer and an input for it, described by sizes and a seed so a failing case prints as
/// something a person can rebuild. Sizes reach the edges: 0 and 1, primes, N == out, ranks 1 to 6.
/// </summary>
public sealed record LinearCase(int In, int Out, int[] Leading, bool HasBias, ulong Seed, DType DType = DType.Float32)
{
    public Shape InputShape => new([.. Leading, In]);

    public Linear Layer()
    {
        var key = new Key(Seed);
        var weight = Tensor.Normal(key.Fold(1), new Shape(Out, In), dtype: DType);
        var bias = HasBias ? Some(Tensor.Normal(key.Fold(2), new Shape(Out), dtype: DType)) : Option<Tensor>.None;
        return new Linear(weight, bias);
    }

    public Tensor Input(ulong stream = 0) => Tensor.Normal(new Key(Seed).Fold(3 + stream), InputShape, dtype: DType);

    public override string ToString() =>
        $"LinearCase(in={In}, out={Out}, input={InputShape}, bias={HasBias}, seed={Seed}, {DType.Name()})";
}

/// <summary>The generators of the law suites.</summary>
public static class Generators
{
    /// <summary>Axis extents worth trying: empty, single, small primes, powers of two and their neighbours.</summary>
    public static Gen<int> Extent { get; } = Gen.Elements(0, 1, 1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 32, 33);

    public static Gen<ulong> Seed { get; } = Gen.Choose(0, int.MaxValue).Select(s => (ulong)s);

    public static Gen<LinearCase> LinearCase(DType dtype) =>
        from inFeatures in Extent
        from outFeatures in Extent
        from leading in Gen.Frequency(
            (6, Gen.Choose(0, 5).SelectMany(rank => Gen.ArrayOf(Gen.Elements(0, 1, 2, 3, 5, 7), rank))),
            (1, Gen.Constant(new[] { outFeatures })))
        from bias in Gen.Elements(true, false)
        from seed in Seed
        where leading.Aggregate(1L, (a, b) => a * b) * Math.Max(1, Math.Max(inFeatures, outFeatures)) <= 50_000
        select new LinearCase(inFeatures, outFeatures, leading, bias, seed, dtype);
}

/// <summary>The arbitraries the properties draw from.</summary>
public static class Arbitraries
{
    public static Arbitrary<LinearCase> LinearCases() => Generators.LinearCase(DType.Float32).ToArbitrary();
}
