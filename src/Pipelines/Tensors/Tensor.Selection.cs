namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// <paramref name="a"/> where <paramref name="condition"/> is non-zero and <paramref name="b"/> elsewhere, like
    /// <c>torch.where</c>; the three broadcast together.
    /// </summary>
    /// <param name="condition">The mask, of any dtype: non-zero picks <paramref name="a"/>.</param>
    /// <param name="a">Taken where the condition holds.</param>
    /// <param name="b">Taken elsewhere, of <paramref name="a"/>'s dtype.</param>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.DType != b.DType)
            throw new ArgumentException($"Where needs both choices of one dtype but got {a.DType.Name()} and {b.DType.Name()}; convert one with To().");
        var shape = BroadcastShapes(BroadcastShapes(condition.Shape, a.Shape), b.Shape);
        var mask = condition.BroadcastTo(shape).Truths();
        return a.DType switch
        {
            DType.Float32 => new Tensor(Choose(mask, a.BroadcastTo(shape).Span<float>(), b.BroadcastTo(shape).Span<float>()), 0, shape),
            DType.Float64 => new Tensor(Choose(mask, a.BroadcastTo(shape).Span<double>(), b.BroadcastTo(shape).Span<double>()), 0, shape),
            _ => new Tensor(Choose(mask, a.BroadcastTo(shape).Span<long>(), b.BroadcastTo(shape).Span<long>()), 0, shape),
        };
    }

    /// <summary>This tensor with <paramref name="value"/> where <paramref name="mask"/> is non-zero, like <c>x.masked_fill(mask, value)</c>; the mask broadcasts to this tensor's shape.</summary>
    /// <param name="mask">Where to fill, of any dtype: non-zero fills.</param>
    /// <param name="value">The value written there (may be -∞, as attention masks use).</param>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (BroadcastShapes(mask.Shape, Shape) != Shape)
            throw new ArgumentException($"MaskedFill's mask {mask.Shape} must broadcast to the tensor's shape {Shape}.", nameof(mask));
        return Where(mask, Full(Shape.Scalar, value, DType), this);
    }

    /// <summary>The entries at <paramref name="indices"/> along <paramref name="axis"/>, in that order, like <c>x.index_select(axis, idx)</c>; a copy.</summary>
    /// <param name="axis">The axis to select along; negative counts from the end.</param>
    /// <param name="indices">A one-dimensional int64 tensor of positions along the axis; negative ones are refused.</param>
    public Tensor IndexSelect(int axis, Tensor indices)
    {
        var positions = Positions(axis, indices, "IndexSelect");
        var (outer, extent, inner) = Shape.SplitAt(axis);
        var a = Shape.NormalizeAxis(axis);
        var shape = new Shape([.. Shape.Dims[..a], positions.Length, .. Shape.Dims[(a + 1)..]]);
        return DType switch
        {
            DType.Float32 => new Tensor(Select(Span<float>(), positions, outer, extent, inner), 0, shape),
            DType.Float64 => new Tensor(Select(Span<double>(), positions, outer, extent, inner), 0, shape),
            _ => new Tensor(Select(Span<long>(), positions, outer, extent, inner), 0, shape),
        };
    }

    /// <summary>
    /// A tensor of <paramref name="shape"/> that is zero except along <paramref name="axis"/> at <paramref name="indices"/>,
    /// where the entries of this tensor are added in order, like <c>zeros(shape).index_add(axis, idx, x)</c>: the
    /// gradient of <see cref="IndexSelect(int, Tensor)"/>.
    /// </summary>
    internal Tensor IndexAddInto(Shape shape, int axis, Tensor indices)
    {
        var (outer, extent, inner) = shape.SplitAt(axis);
        var positions = indices.ToInt64Array();
        if (DType == DType.Float32)
            return new Tensor(AddAt(Span<float>(), positions, outer, extent, inner), 0, shape);
        return new Tensor(AddAt(Span<double>(), positions, outer, extent, inner), 0, shape);
    }

    private long[] Positions(int axis, Tensor indices, string operation)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.DType != DType.Int64 || indices.Rank != 1)
            throw new ArgumentException($"{operation} needs a one-dimensional int64 tensor of indices but got {indices.Shape} ({indices.DType.Name()}).", nameof(indices));
        var extent = Shape[axis];
        var positions = indices.ToInt64Array();
        foreach (var position in positions)
        {
            if (position < 0 || position >= extent)
                throw new ArgumentOutOfRangeException(nameof(indices), $"{operation} index {position} is out of range for axis {axis} (extent {extent}) of a tensor of shape {Shape}.");
        }
        return positions;
    }

    private bool[] Truths()
    {
        var truths = new bool[Count];
        switch (DType)
        {
            case DType.Float32:
                var floats = Span<float>();
                for (var i = 0; i < truths.Length; i++)
                    truths[i] = floats[i] != 0;
                break;
            case DType.Float64:
                var doubles = Span<double>();
                for (var i = 0; i < truths.Length; i++)
                    truths[i] = doubles[i] != 0;
                break;
            default:
                var longs = Span<long>();
                for (var i = 0; i < truths.Length; i++)
                    truths[i] = longs[i] != 0;
                break;
        }
        return truths;
    }

    private static T[] Choose<T>(bool[] mask, ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged
    {
        var result = GC.AllocateUninitializedArray<T>(mask.Length);
        for (var i = 0; i < result.Length; i++)
            result[i] = mask[i] ? a[i] : b[i];
        return result;
    }

    private static T[] Select<T>(ReadOnlySpan<T> source, long[] positions, int outer, int extent, int inner)
        where T : unmanaged
    {
        var result = GC.AllocateUninitializedArray<T>(outer * positions.Length * inner);
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < positions.Length; i++)
                source.Slice(((o * extent) + (int)positions[i]) * inner, inner).CopyTo(result.AsSpan(((o * positions.Length) + i) * inner, inner));
        }
        return result;
    }

    private static T[] AddAt<T>(ReadOnlySpan<T> source, long[] positions, int outer, int extent, int inner)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var result = new T[outer * extent * inner];
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < positions.Length; i++)
            {
                var from = source.Slice(((o * positions.Length) + i) * inner, inner);
                var to = result.AsSpan(((o * extent) + (int)positions[i]) * inner, inner);
                System.Numerics.Tensors.TensorPrimitives.Add(to, from, to);
            }
        }
        return result;
    }
    /// <summary>
    /// The entries along <paramref name="axis"/> that <paramref name="index"/> names, like <c>torch.gather(x, axis, index)</c>:
    /// the result has the index's shape, and element <c>[..., i, ...]</c> is this tensor's element with the axis
    /// position replaced by <c>index[..., i, ...]</c>. Along the other axes the index is at most as long as this tensor.
    /// </summary>
    /// <param name="axis">The axis to gather along; negative counts from the end.</param>
    /// <param name="index">An int64 tensor of this tensor's rank.</param>
    public Tensor Gather(int axis, Tensor index)
    {
        var (a, offsets) = GatherOffsets(axis, index, "Gather");
        return DType switch
        {
            DType.Float32 => new Tensor(Pick(Span<float>(), offsets), 0, index.Shape),
            DType.Float64 => new Tensor(Pick(Span<double>(), offsets), 0, index.Shape),
            _ => new Tensor(Pick(Span<long>(), offsets), 0, index.Shape),
        };
    }

    /// <summary>Zeros of <paramref name="shape"/> with this tensor's entries added, in order, where <paramref name="index"/> gathered them from: the gradient of <see cref="Gather"/>.</summary>
    internal Tensor ScatterAddInto(Shape shape, int axis, Tensor index)
    {
        var (_, offsets) = Zeros(shape, DType).GatherOffsets(axis, index, "Gather");
        if (DType == DType.Float32)
            return new Tensor(AddAt(Span<float>(), offsets, shape.ElementCount), 0, shape);
        return new Tensor(AddAt(Span<double>(), offsets, shape.ElementCount), 0, shape);
    }

    private (int Axis, int[] Offsets) GatherOffsets(int axis, Tensor index, string operation)
    {
        ArgumentNullException.ThrowIfNull(index);
        var a = Shape.NormalizeAxis(axis);
        if (index.DType != DType.Int64 || index.Rank != Rank)
            throw new ArgumentException($"{operation} needs an int64 index of rank {Rank} (the tensor's {Shape}) but got {index.Shape} ({index.DType.Name()}).", nameof(index));
        for (var d = 0; d < Rank; d++)
        {
            if (d != a && index.Shape.Dims[d] > Shape.Dims[d])
                throw new ArgumentException($"{operation}'s index {index.Shape} is longer than the tensor {Shape} along axis {d}.", nameof(index));
        }
        var strides = Strides(Shape);
        var positions = index.Span<long>();
        var offsets = new int[index.Count];
        var at = new int[Rank];
        var extent = Shape.Dims[a];
        for (var i = 0; i < offsets.Length; i++)
        {
            var position = positions[i];
            if (position < 0 || position >= extent)
                throw new ArgumentOutOfRangeException(nameof(index), $"{operation} index {position} is out of range for axis {axis} (extent {extent}) of a tensor of shape {Shape}.");
            var offset = 0;
            for (var d = 0; d < Rank; d++)
                offset += (d == a ? (int)position : at[d]) * strides[d];
            offsets[i] = offset;
            for (var d = Rank - 1; d >= 0; d--)
            {
                if (++at[d] < index.Shape.Dims[d])
                    break;
                at[d] = 0;
            }
        }
        return (a, offsets);
    }

    private static T[] Pick<T>(ReadOnlySpan<T> source, int[] offsets)
        where T : unmanaged
    {
        var result = GC.AllocateUninitializedArray<T>(offsets.Length);
        for (var i = 0; i < offsets.Length; i++)
            result[i] = source[offsets[i]];
        return result;
    }

    private static T[] AddAt<T>(ReadOnlySpan<T> source, int[] offsets, int length)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var result = new T[length];
        for (var i = 0; i < offsets.Length; i++)
            result[offsets[i]] += source[i];
        return result;
    }
}
