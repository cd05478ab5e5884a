using System.Collections.Immutable;

namespace Pipelines.Tensors;

/// <summary>
/// The extent of each axis of a tensor, outermost first (row-major). A small immutable value:
/// <c>new Shape(32, 784)</c>; <c>default(Shape)</c> is the scalar shape <c>[]</c>.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly ImmutableArray<int> _dims;
    private readonly int _count;

    /// <summary>Creates a shape; every extent must be non-negative and the element count must fit an <see cref="int"/>.</summary>
    /// <param name="dims">The extents, outermost first.</param>
    public Shape(params ReadOnlySpan<int> dims)
    {
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0)
                throw new ArgumentException($"Shape extents must be non-negative but got {Format(dims)}.", nameof(dims));
            count *= d;
            if (count > Array.MaxLength)
                throw new ArgumentException($"Shape {Format(dims)} has more elements than an array can hold ({Array.MaxLength}).", nameof(dims));
        }
        _dims = [.. dims];
        _count = (int)count;
    }

    /// <summary>The scalar shape <c>[]</c> (one element).</summary>
    public static Shape Scalar => default;

    /// <summary>The extents, outermost first.</summary>
    public ReadOnlySpan<int> Dims => _dims.IsDefault ? [] : _dims.AsSpan();

    /// <summary>Number of axes.</summary>
    public int Rank => _dims.IsDefault ? 0 : _dims.Length;

    /// <summary>Total number of elements (1 for a scalar).</summary>
    public int ElementCount => _dims.IsDefault ? 1 : _count;

    /// <summary>Extent of an axis; negative axes count from the end as in PyTorch.</summary>
    /// <param name="axis">The axis.</param>
    public int this[int axis] => Dims[NormalizeAxis(axis)];

    /// <summary>Product of every extent but the last: the number of rows when the tensor is seen as 2-D.</summary>
    public int LeadingCount => Rank == 0 ? 1 : CountOf(Dims[..^1]);

    /// <summary>Extent of the last axis (1 for a scalar).</summary>
    public int Last => Rank == 0 ? 1 : Dims[^1];

    /// <summary>This shape with its last extent replaced.</summary>
    /// <param name="extent">The new last extent.</param>
    public Shape WithLast(int extent) => Rank == 0
        ? throw new InvalidOperationException("A scalar shape has no last axis.")
        : new Shape([.. Dims[..^1], extent]);

    /// <summary>This shape without its first axis.</summary>
    public Shape DropFirst() => new(Dims[1..]);

    /// <summary>
    /// The shape seen as [outer, extent, inner] around <paramref name="axis"/>: the product of the extents before it,
    /// its own extent and the product of those after it. Element (o, e, i) is at <c>(o·extent + e)·inner + i</c>.
    /// </summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    public (int Outer, int Extent, int Inner) SplitAt(int axis)
    {
        var a = NormalizeAxis(axis);
        return (CountOf(Dims[..a]), Dims[a], CountOf(Dims[(a + 1)..]));
    }

    /// <summary>The shape after a reduction over <paramref name="axis"/>: without it, or with extent 1 when kept.</summary>
    /// <param name="axis">The reduced axis; negative counts from the end.</param>
    /// <param name="keep">Keep the axis with extent 1, like PyTorch's <c>keepdim=True</c>.</param>
    public Shape Reduced(int axis, bool keep)
    {
        var a = NormalizeAxis(axis);
        return keep ? new Shape([.. Dims[..a], 1, .. Dims[(a + 1)..]]) : new Shape([.. Dims[..a], .. Dims[(a + 1)..]]);
    }

    /// <summary>Turns a possibly negative axis into its index, or throws naming the rank.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    public int NormalizeAxis(int axis)
    {
        var rank = Rank;
        var normalized = axis < 0 ? axis + rank : axis;
        if (normalized < 0 || normalized >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Axis {axis} is out of range for a tensor of shape {this} (rank {rank}).");
        return normalized;
    }

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in Dims)
            hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>Equal extents on every axis.</summary>
    /// <param name="left">One shape.</param>
    /// <param name="right">The other shape.</param>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Different rank or some different extent.</summary>
    /// <param name="left">One shape.</param>
    /// <param name="right">The other shape.</param>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>Shapes print as <c>[2, 3]</c>.</summary>
    public override string ToString() => Format(Dims);

    internal static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    private static int CountOf(ReadOnlySpan<int> dims)
    {
        var count = 1;
        foreach (var d in dims)
            count *= d;
        return count;
    }
}
