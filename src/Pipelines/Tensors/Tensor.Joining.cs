namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>Tensors joined along <paramref name="axis"/>, like <c>torch.cat</c>; all other extents and the dtype must agree.</summary>
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
        var outer = new Shape(first.Shape.Dims[..a]).ElementCount;
        var inner = new Shape(first.Shape.Dims[(a + 1)..]).ElementCount;
        var total = tensors.Sum(t => t.Shape.Dims[a]);
        var shape = new Shape([.. first.Shape.Dims[..a], total, .. first.Shape.Dims[(a + 1)..]]);
        var result = new double[shape.ElementCount];
        var offset = 0;
        foreach (var t in tensors)
        {
            var source = t.ToFloat64Array();
            var width = t.Shape.Dims[a] * inner;
            for (var o = 0; o < outer; o++)
                source.AsSpan(o * width, width).CopyTo(result.AsSpan((o * total * inner) + offset, width));
            offset += width;
        }
        return FromSpan(result, shape).To(first.DType);
    }

    /// <summary>The <paramref name="length"/> entries from <paramref name="start"/> along <paramref name="axis"/>, like <c>torch.narrow</c>; a copy.</summary>
    public Tensor Narrow(int axis, int start, int length)
    {
        var a = Shape.NormalizeAxis(axis);
        var extent = Shape.Dims[a];
        if (start < 0 || length < 0 || start + length > extent)
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow of axis {axis} (extent {extent}) from {start} for {length} is out of range for shape {Shape}.");
        var outer = new Shape(Shape.Dims[..a]).ElementCount;
        var inner = new Shape(Shape.Dims[(a + 1)..]).ElementCount;
        var source = ToFloat64Array();
        var result = new double[outer * length * inner];
        for (var o = 0; o < outer; o++)
            source.AsSpan(((o * extent) + start) * inner, length * inner).CopyTo(result.AsSpan(o * length * inner, length * inner));
        return FromSpan(result, new Shape([.. Shape.Dims[..a], length, .. Shape.Dims[(a + 1)..]])).To(DType);
    }

    /// <summary>The rows at <paramref name="indices"/> along the first axis, in that order, like <c>x.index_select(0, idx)</c>; a copy.</summary>
    public Tensor IndexSelect(ReadOnlySpan<int> indices)
    {
        var extent = LeadingExtent();
        var rowSize = Shape.DropFirst().ElementCount;
        if (DType == DType.Float32)
            return new Tensor(Gather(Span<float>(), indices, extent, rowSize), 0, new Shape([indices.Length, .. Shape.Dims[1..]]));
        return new Tensor(Gather(Span<double>(), indices, extent, rowSize), 0, new Shape([indices.Length, .. Shape.Dims[1..]]));
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
