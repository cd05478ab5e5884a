using FsCheck;
using FsCheck.Fluent;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties;

/// <summary>
/// A linear layer and an input for it, described by sizes and a seed so a failing case prints as something a person
/// can rebuild. Sizes reach the edges: 0 and 1, primes, N == out, ranks 1 to 6, and products big enough for the
/// GEMM to split them across threads.
/// </summary>
public sealed record LinearCase(int In, int Out, int[] Leading, bool HasBias, ulong Seed, DType DType = DType.Float32)
{
    public Shape InputShape => new([.. Leading, In]);

    public Linear Layer()
    {
        var key = new Key(Seed);
        var weight = Tensor.Normal(key.Fold(1), new Shape(Out, In), dtype: DType);
        return new Linear(weight, HasBias ? Tensor.Normal(key.Fold(2), new Shape(Out), dtype: DType) : null);
    }

    public Tensor Input(ulong stream = 0) => Tensor.Normal(new Key(Seed).Fold(3 + stream), InputShape, dtype: DType);

    /// <summary>Whether the forward product is large enough that the GEMM splits it across threads (at least 4 MFLOP).</summary>
    public bool Threaded => 2L * InputShape.LeadingCount * In * Out >= 1L << 22;

    public override string ToString() =>
        $"LinearCase(in={In}, out={Out}, input={InputShape}, bias={HasBias}, seed={Seed}, {DType.Name()}{(Threaded ? ", threaded" : string.Empty)})";
}

/// <summary>The generators of the law suites.</summary>
public static class Generators
{
    /// <summary>Axis extents worth trying: empty, single, small primes, powers of two and their neighbours.</summary>
    public static Gen<int> Extent { get; } = Gen.Elements(0, 1, 1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 32, 33);

    public static Gen<ulong> Seed { get; } = Gen.Choose(0, int.MaxValue).Select(s => (ulong)s);

    /// <summary>Small cases of every rank, and (one in six) cases big enough to run the GEMM on several threads.</summary>
    public static Gen<LinearCase> LinearCase(DType dtype) => Gen.Frequency((5, SmallLinearCase(dtype)), (1, ThreadedLinearCase(dtype)));

    private static Gen<LinearCase> SmallLinearCase(DType dtype) =>
        from inFeatures in Extent
        from outFeatures in Extent
        from leading in Gen.Frequency(
            (6, Gen.Choose(0, 5).SelectMany(rank => Gen.ArrayOf(Gen.Elements(0, 1, 2, 3, 5, 7), rank))),
            (1, Gen.Constant(new[] { outFeatures })))
        from bias in Gen.Elements(true, false)
        from seed in Seed
        where leading.Aggregate(1L, (a, b) => a * b) * Math.Max(1, Math.Max(inFeatures, outFeatures)) <= 50_000
        select new LinearCase(inFeatures, outFeatures, leading, bias, seed, dtype);

    private static Gen<LinearCase> ThreadedLinearCase(DType dtype) =>
        from inFeatures in Gen.Elements(255, 256, 300, 513)
        from outFeatures in Gen.Elements(64, 129, 256)
        from leading in Gen.Elements(new[] { 64 }, new[] { 97 }, new[] { 2, 37 })
        from bias in Gen.Elements(true, false)
        from seed in Seed
        select new LinearCase(inFeatures, outFeatures, leading, bias, seed, dtype);
}

/// <summary>The arbitraries the properties draw from.</summary>
public static class Arbitraries
{
    public static Arbitrary<LinearCase> LinearCases() => Generators.LinearCase(DType.Float32).ToArbitrary();
}

/// <summary>Comparisons the laws share: every parameter by name, never a zip that stops at the shorter list.</summary>
public static class Compare
{
    /// <summary>Null when both have the same parameter names in the same order and every pair satisfies <paramref name="agree"/>; else the first difference.</summary>
    public static string? Parameters(Layer a, Layer b, Func<Tensor, Tensor, bool> agree)
    {
        var (p, q) = (a.NamedParameters(), b.NamedParameters());
        if (p.StructureDifference(q) is { } difference)
            return difference;
        for (var i = 0; i < p.Count; i++)
        {
            if (!agree(p.Tensors[i], q.Tensors[i]))
                return $"'{p.Names[i]}' differs by {p.Tensors[i].MaxAbsDifference(q.Tensors[i]):E2}";
        }
        return null;
    }

    /// <summary>Every parameter bitwise equal, and the same names.</summary>
    public static string? ParametersBitwise(Layer a, Layer b) => Parameters(a, b, (x, y) => x.BitwiseEquals(y));

    /// <summary>Every parameter within rtol = atol = <paramref name="tolerance"/>, and the same names.</summary>
    public static string? ParametersClose(Layer a, Layer b, double tolerance) => Parameters(a, b, (x, y) => x.AllClose(y, tolerance, tolerance));
}
