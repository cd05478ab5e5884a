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
}
