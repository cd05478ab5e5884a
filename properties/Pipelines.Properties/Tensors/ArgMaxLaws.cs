using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Tensors;

namespace Pipelines.Properties.Tensors;

/// <summary>
/// ArgMax along any axis of any shape names, in every slice, the first NaN if there is one, else the first element equal
/// to the slice's maximum: ties (small integers) and NaNs are common in the generated tensors, and other axes may be empty.
/// </summary>
[Properties(MaxTest = 200)]
public sealed class ArgMaxLaws
{
    private static readonly Gen<(int[] Dims, int Axis, double[] Values)> Cases =
        from rank in Gen.Choose(1, 4)
        from dims in Gen.ArrayOf(Generators.Extent, rank)
        from axis in Gen.Choose(0, rank - 1)
        from extent in Gen.Choose(1, 9)
        let shape = dims.Select((d, i) => i == axis ? extent : d).ToArray()
        from values in Gen.ArrayOf(Gen.Frequency((12, Gen.Choose(-3, 3).Select(v => (double)v)), (1, Gen.Constant(double.NaN))), shape.Aggregate(1, (a, b) => a * b))
        select (shape, axis, values);

    [Property]
    public Property The_index_is_the_first_NaN_or_else_the_first_maximum() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var x = Tensor.FromArray(c.Values, c.Dims);
        var (outer, extent, inner) = x.Shape.SplitAt(c.Axis);
        var found = x.ArgMax(c.Axis).ToInt64Array();
        var kept = x.To(DType.Float32).ArgMax(c.Axis - c.Dims.Length, keepDim: true);
        if (kept.Shape != x.Shape.Reduced(c.Axis, keep: true) || !kept.ToInt64Array().SequenceEqual(found))
            return false.Label($"keepDim or float32 differs: {kept.Shape}");
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                var slice = Enumerable.Range(0, extent).Select(e => c.Values[(((o * extent) + e) * inner) + i]).ToList();
                var firstNaN = slice.FindIndex(double.IsNaN);
                var expected = firstNaN >= 0 ? firstNaN : slice.IndexOf(slice.Max());
                if (found[(o * inner) + i] != expected)
                    return false.Label($"shape [{string.Join(", ", c.Dims)}], axis {c.Axis}, slice ({o}, {i}) = [{string.Join(", ", slice)}]: {found[(o * inner) + i]} instead of {expected}");
            }
        }
        return true.ToProperty();
    });
}
