namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>The axes reordered, like <c>x.permute(dims)</c>: axis i of the result is axis <c>axes[i]</c> of this tensor; a copy.</summary>
    /// <param name="axes">A permutation of the axes; negative counts from the end.</param>
    public Tensor Permute(params int[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        var order = new int[Rank];
        var seen = new bool[Rank];
        if (axes.Length != Rank)
            throw new ArgumentException($"Permute needs one axis for each of the {Rank} axes of {Shape} but got [{string.Join(", ", axes)}].", nameof(axes));
        for (var i = 0; i < axes.Length; i++)
        {
            order[i] = Shape.NormalizeAxis(axes[i]);
            if (seen[order[i]])
                throw new ArgumentException($"Permute's axes [{string.Join(", ", axes)}] name axis {order[i]} twice.", nameof(axes));
            seen[order[i]] = true;
        }
        var dims = new int[Rank];
        var strides = Strides(Shape);
        var sourceStrides = new int[Rank];
        for (var i = 0; i < Rank; i++)
        {
            dims[i] = Shape.Dims[order[i]];
            sourceStrides[i] = strides[order[i]];
        }
        var shape = new Shape(dims);
        return DType switch
        {
            DType.Float32 => new Tensor(Strided(Span<float>(), shape, sourceStrides), 0, shape),
            DType.Float64 => new Tensor(Strided(Span<double>(), shape, sourceStrides), 0, shape),
            _ => new Tensor(Strided(Span<long>(), shape, sourceStrides), 0, shape),
        };
    }

    /// <summary>Axes <paramref name="first"/> and <paramref name="second"/> swapped, like <c>x.transpose(a, b)</c>; a copy.</summary>
    /// <param name="first">One axis; negative counts from the end.</param>
    /// <param name="second">The other axis.</param>
    public Tensor Transpose(int first, int second)
    {
        var axes = Enumerable.Range(0, Rank).ToArray();
        (axes[Shape.NormalizeAxis(first)], axes[Shape.NormalizeAxis(second)]) = (Shape.NormalizeAxis(second), Shape.NormalizeAxis(first));
        return Permute(axes);
    }

    /// <summary>This tensor repeated along the axes where it has extent 1 (and new leading axes) to <paramref name="shape"/>, like <c>x.expand(shape)</c>; a copy.</summary>
    /// <param name="shape">A shape this tensor broadcasts to.</param>
    public Tensor BroadcastTo(Shape shape)
    {
        if (shape == Shape)
            return this;
        if (BroadcastShapes(Shape, shape) != shape)
            throw new ArgumentException($"A tensor of shape {Shape} cannot be broadcast to {shape}.", nameof(shape));
        var strides = BroadcastStrides(Shape, shape);
        return DType switch
        {
            DType.Float32 => new Tensor(Strided(Span<float>(), shape, strides), 0, shape),
            DType.Float64 => new Tensor(Strided(Span<double>(), shape, strides), 0, shape),
            _ => new Tensor(Strided(Span<long>(), shape, strides), 0, shape),
        };
    }

    /// <summary>
    /// The sum over the axes along which <paramref name="shape"/> was broadcast to this tensor's shape, like
    /// <c>x.sum_to_size(shape)</c>: the gradient of a broadcast. Each sum adds in index order, widened to double.
    /// </summary>
    /// <param name="shape">A shape that broadcasts to this tensor's shape.</param>
    public Tensor SumToSize(Shape shape)
    {
        if (shape == Shape)
            return this;
        if (shape.Rank > Rank || BroadcastShapes(shape, Shape) != Shape)
            throw new ArgumentException($"A tensor of shape {Shape} cannot be summed to {shape}: {shape} does not broadcast to it.", nameof(shape));
        var result = this;
        while (result.Rank > shape.Rank)
            result = result.Sum(0);
        for (var axis = 0; axis < shape.Rank; axis++)
        {
            if (shape.Dims[axis] == 1 && result.Shape.Dims[axis] != 1)
                result = result.Sum(axis, keepDim: true);
        }
        return result;
    }

    /// <summary>The row-major strides of <paramref name="shape"/>, in elements.</summary>
    internal static int[] Strides(Shape shape)
    {
        var strides = new int[shape.Rank];
        var stride = 1;
        for (var axis = shape.Rank - 1; axis >= 0; axis--)
        {
            strides[axis] = stride;
            stride *= shape.Dims[axis];
        }
        return strides;
    }

    /// <summary>The elements at <c>Σ index[i]·strides[i]</c> for every index of <paramref name="shape"/>, in row-major order.</summary>
    private static T[] Strided<T>(ReadOnlySpan<T> source, Shape shape, int[] strides)
        where T : unmanaged
    {
        var result = GC.AllocateUninitializedArray<T>(shape.ElementCount);
        if (result.Length == 0)
            return result;
        var rank = shape.Rank;
        if (rank == 0)
        {
            result[0] = source[0];
            return result;
        }
        var index = new int[rank];
        var inner = shape.Dims[^1];
        var step = strides[^1];
        var offset = 0;
        for (var position = 0; position < result.Length; position += inner)
        {
            for (var j = 0; j < inner; j++)
                result[position + j] = source[offset + (j * step)];
            for (var axis = rank - 2; axis >= 0; axis--)
            {
                offset += strides[axis];
                if (++index[axis] < shape.Dims[axis])
                    break;
                offset -= index[axis] * strides[axis];
                index[axis] = 0;
            }
        }
        return result;
    }
}
