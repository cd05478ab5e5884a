using Pipelines.Tensors;

namespace Pipelines.Layers;

public sealed partial class Variable
{
    /// <summary>The same elements in a new shape (one extent may be -1, inferred), like <c>x.reshape(shape)</c>.</summary>
    /// <param name="dims">The new extents.</param>
    public Variable Reshape(params int[] dims) => Unary(this, Value.Reshape(dims), g => g.Reshape(Shape));

    /// <summary>The same elements in <paramref name="shape"/>.</summary>
    /// <param name="shape">The new shape, of as many elements.</param>
    public Variable Reshape(Shape shape) => Unary(this, Value.Reshape(shape), g => g.Reshape(Shape));

    /// <summary>Axes <paramref name="first"/> and <paramref name="second"/> swapped, like <c>x.transpose(a, b)</c>.</summary>
    /// <param name="first">One axis; negative counts from the end.</param>
    /// <param name="second">The other axis.</param>
    public Variable Transpose(int first = -2, int second = -1) => Unary(this, Value.Transpose(first, second), g => g.Transpose(first, second));

    /// <summary>The axes reordered, like <c>x.permute(dims)</c>.</summary>
    /// <param name="axes">Axis i of the result is axis <c>axes[i]</c> of this variable.</param>
    public Variable Permute(params int[] axes)
    {
        var value = Value.Permute(axes);
        var inverse = new int[axes.Length];
        for (var i = 0; i < axes.Length; i++)
            inverse[Shape.NormalizeAxis(axes[i])] = i;
        return Unary(this, value, g => g.Permute(inverse));
    }

    /// <summary>The <paramref name="length"/> entries from <paramref name="start"/> along <paramref name="axis"/>, like <c>x.narrow(axis, start, length)</c>.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <param name="start">The first entry kept.</param>
    /// <param name="length">How many are kept.</param>
    public Variable Narrow(int axis, int start, int length) =>
        Unary(this, Value.Narrow(axis, start, length), g => Padded(g, Shape, axis, start));

    /// <summary>Pieces of <paramref name="sizes"/> entries along <paramref name="axis"/>, like <c>x.split(sizes, axis)</c>.</summary>
    /// <param name="sizes">The extent of each piece; they add up to the axis' extent.</param>
    /// <param name="axis">The axis; negative counts from the end.</param>
    public Variable[] Split(int[] sizes, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Any(s => s < 0) || sizes.Sum() != Shape[axis])
            throw new ArgumentException($"Split sizes [{string.Join(", ", sizes)}] must be non-negative and add up to axis {axis}'s extent {Shape[axis]} (shape {Shape}).", nameof(sizes));
        var pieces = new Variable[sizes.Length];
        var start = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            pieces[i] = Narrow(axis, start, sizes[i]);
            start += sizes[i];
        }
        return pieces;
    }

    /// <summary><paramref name="chunks"/> pieces along <paramref name="axis"/>, like <c>x.chunk(chunks, axis)</c>: each ⌈n/chunks⌉ long, the last shorter (and fewer pieces when n is small).</summary>
    /// <param name="chunks">How many pieces at most.</param>
    /// <param name="axis">The axis; negative counts from the end.</param>
    public Variable[] Chunk(int chunks, int axis = 0)
    {
        if (chunks < 1)
            throw new ArgumentOutOfRangeException(nameof(chunks), chunks, "Chunk needs at least one chunk.");
        var extent = Shape[axis];
        var size = Math.Max(1, (extent + chunks - 1) / chunks);
        var sizes = new List<int>();
        for (var start = 0; start < extent; start += size)
            sizes.Add(Math.Min(size, extent - start));
        return Split([.. sizes], axis);
    }

    /// <summary>Variables joined along <paramref name="axis"/>, like <c>torch.cat</c>.</summary>
    /// <param name="variables">The pieces, equal in every other extent.</param>
    /// <param name="axis">The axis; negative counts from the end.</param>
    public static Variable Concat(IReadOnlyList<Variable> variables, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (variables.Count == 0)
            throw new ArgumentException("Concat needs at least one variable.", nameof(variables));
        var value = Tensor.Concat([.. variables.Select(v => Checked(v).Value)], axis);
        var rules = new Func<Tensor, Tensor>?[variables.Count];
        var start = 0;
        for (var i = 0; i < variables.Count; i++)
        {
            var (from, length) = (start, variables[i].Shape[axis]);
            rules[i] = g => g.Narrow(axis, from, length);
            start += length;
        }
        return Make(value, variables, rules);
    }

    /// <summary>Variables of one shape stacked along a new axis at <paramref name="axis"/>, like <c>torch.stack</c>.</summary>
    /// <param name="variables">The pieces, all of one shape.</param>
    /// <param name="axis">Where the new axis goes (0 to rank).</param>
    public static Variable Stack(IReadOnlyList<Variable> variables, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (variables.Count == 0)
            throw new ArgumentException("Stack needs at least one variable.", nameof(variables));
        var shape = Checked(variables[0]).Shape;
        if (variables.Any(v => Checked(v).Shape != shape))
            throw new ArgumentException($"Stack needs variables of one shape but got {string.Join(", ", variables.Select(v => v.Shape))}.", nameof(variables));
        var at = axis < 0 ? axis + shape.Rank + 1 : axis;
        if (at < 0 || at > shape.Rank)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Stack's new axis {axis} is out of range for variables of shape {shape}.");
        var unsqueezed = new Shape([.. shape.Dims[..at], 1, .. shape.Dims[at..]]);
        return Concat([.. variables.Select(v => v.Reshape(unsqueezed))], at);
    }

    /// <summary>The entries at <paramref name="indices"/> along <paramref name="axis"/>, like <c>x.index_select(axis, idx)</c>; repeated indices add their gradients.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <param name="indices">A one-dimensional int64 tensor of positions.</param>
    public Variable IndexSelect(int axis, Tensor indices) =>
        Unary(this, Value.IndexSelect(axis, indices), g => g.IndexAddInto(Shape, axis, indices));

    /// <summary>The entries along <paramref name="axis"/> that <paramref name="index"/> names, like <c>torch.gather</c>.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <param name="index">An int64 tensor of this variable's rank.</param>
    public Variable Gather(int axis, Tensor index) =>
        Unary(this, Value.Gather(axis, index), g => g.ScatterAddInto(Shape, axis, index));

    /// <summary>Zeros of <paramref name="shape"/> with <paramref name="g"/> from <paramref name="start"/> along <paramref name="axis"/>.</summary>
    private static Tensor Padded(Tensor g, Shape shape, int axis, int start)
    {
        var a = shape.NormalizeAxis(axis);
        Tensor Zeros(int length) => Tensor.Zeros(new Shape([.. shape.Dims[..a], length, .. shape.Dims[(a + 1)..]]), g.DType);
        var after = shape.Dims[a] - start - g.Shape.Dims[a];
        var pieces = new List<Tensor>();
        if (start > 0)
            pieces.Add(Zeros(start));
        pieces.Add(g);
        if (after > 0)
            pieces.Add(Zeros(after));
        return pieces.Count == 1 ? g : Tensor.Concat(pieces, a);
    }
}
