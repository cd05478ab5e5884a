namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>Tensors joined along <paramref name="axis"/>, like <c>torch.cat</c>; all other extents and the dtype must agree.</summary>
    /// <param name="tensors">The tensors, in order.</param>
    /// <param name="axis">The axis to join along; negative counts from the end.</param>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
            throw new ArgumentException("Concat needs at least one tensor.", nameof(tensors));
        var first = tensors[0];
        var a = first.Shape.NormalizeAxis(axis);
        foreach (var t in tensors)
        {
            if (t.Rank != first.Rank || t.DType != first.DType || Enumerable.Range(0, t.Rank).Any(d => d != a && t.Shape.Dims[d] != first.Shape.Dims[d]))
                throw new ArgumentException($"Concat along axis {axis} needs equal extents elsewhere and one dtype but got {string.Join(", ", tensors.Select(x => $"{x.Shape} ({x.DType.Name()})"))}.", nameof(tensors));
        }
        var total = tensors.Sum(t => t.Shape.Dims[a]);
        var shape = new Shape([.. first.Shape.Dims[..a], total, .. first.Shape.Dims[(a + 1)..]]);
        return first.DType switch
        {
            DType.Float32 => ConcatOf<float>(tensors, a, shape),
            DType.Float64 => ConcatOf<double>(tensors, a, shape),
            _ => ConcatOf<long>(tensors, a, shape),
        };
    }

    /// <summary>Tensors of one shape stacked along a new first axis, like <c>torch.stack(tensors)</c>: a batch of examples.</summary>
    /// <param name="tensors">The tensors, in order; at least one, all of one shape and dtype.</param>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
            throw new ArgumentException("Stack needs at least one tensor.", nameof(tensors));
        var first = tensors[0];
        foreach (var t in tensors)
        {
            if (t.Shape != first.Shape || t.DType != first.DType)
                throw new ArgumentException($"Stack needs tensors of one shape and dtype but got {first.Shape} ({first.DType.Name()}) and {t.Shape} ({t.DType.Name()}).", nameof(tensors));
        }
        var shape = new Shape([tensors.Count, .. first.Shape.Dims]);
        return first.DType switch
        {
            DType.Float32 => StackOf<float>(tensors, shape),
            DType.Float64 => StackOf<double>(tensors, shape),
            _ => StackOf<long>(tensors, shape),
        };
    }

    private static Tensor StackOf<T>(IReadOnlyList<Tensor> tensors, Shape shape)
        where T : unmanaged
    {
        var each = tensors[0].Count;
        var data = GC.AllocateUninitializedArray<T>(shape.ElementCount);
        for (var i = 0; i < tensors.Count; i++)
            tensors[i].Span<T>().CopyTo(data.AsSpan(i * each, each));
        return Own(data, shape);
    }

    /// <summary>The <paramref name="length"/> entries from <paramref name="start"/> along <paramref name="axis"/>, like <c>torch.narrow</c>; a copy.</summary>
    /// <param name="axis">The axis to narrow; negative counts from the end.</param>
    /// <param name="start">The first entry kept.</param>
    /// <param name="length">How many entries are kept.</param>
    public Tensor Narrow(int axis, int start, int length)
    {
        var (outer, extent, inner) = Shape.SplitAt(axis);
        if (start < 0 || length < 0 || start > extent - length)
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow of axis {axis} (extent {extent}) from {start} for {length} is out of range for shape {Shape}.");
        var a = Shape.NormalizeAxis(axis);
        var shape = new Shape([.. Shape.Dims[..a], length, .. Shape.Dims[(a + 1)..]]);
        return DType switch
        {
            DType.Float32 => NarrowOf<float>(outer, extent, inner, start, length, shape),
            DType.Float64 => NarrowOf<double>(outer, extent, inner, start, length, shape),
            _ => NarrowOf<long>(outer, extent, inner, start, length, shape),
        };
    }

    /// <summary>The rows at <paramref name="indices"/> along the first axis, in that order, like <c>x.index_select(0, idx)</c>; a copy.</summary>
    /// <param name="indices">Positions along axis 0; each must be in range.</param>
    public Tensor IndexSelect(ReadOnlySpan<int> indices)
    {
        var extent = LeadingExtent();
        var rowSize = Shape.DropFirst().ElementCount;
        var shape = new Shape([indices.Length, .. Shape.Dims[1..]]);
        return DType switch
        {
            DType.Float32 => new Tensor(Gather(Span<float>(), indices, extent, rowSize), 0, shape),
            DType.Float64 => new Tensor(Gather(Span<double>(), indices, extent, rowSize), 0, shape),
            _ => new Tensor(Gather(Span<long>(), indices, extent, rowSize), 0, shape),
        };
    }

    private static Tensor ConcatOf<T>(IReadOnlyList<Tensor> tensors, int axis, Shape shape)
        where T : unmanaged
    {
        var (outer, total, inner) = shape.SplitAt(axis);
        var result = GC.AllocateUninitializedArray<T>(shape.ElementCount);
        var offset = 0;
        foreach (var t in tensors)
        {
            var source = t.Span<T>();
            var width = t.Shape.Dims[axis] * inner;
            for (var o = 0; o < outer; o++)
                source.Slice(o * width, width).CopyTo(result.AsSpan((o * total * inner) + offset, width));
            offset += width;
        }
        return new Tensor(result, 0, shape);
    }

    private Tensor NarrowOf<T>(int outer, int extent, int inner, int start, int length, Shape shape)
        where T : unmanaged
    {
        var source = Span<T>();
        var result = GC.AllocateUninitializedArray<T>(outer * length * inner);
        for (var o = 0; o < outer; o++)
            source.Slice(((o * extent) + start) * inner, length * inner).CopyTo(result.AsSpan(o * length * inner, length * inner));
        return new Tensor(result, 0, shape);
    }

    private T[] Gather<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> indices, int extent, int rowSize)
    {
        var result = GC.AllocateUninitializedArray<T>(indices.Length * rowSize);
        for (var i = 0; i < indices.Length; i++)
        {
            if (indices[i] < 0 || indices[i] >= extent)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"Index {indices[i]} (position {i}) is out of range for axis 0 of a tensor of shape {Shape}.");
            source.Slice(indices[i] * rowSize, rowSize).CopyTo(result.AsSpan(i * rowSize, rowSize));
        }
        return result;
    }
}
