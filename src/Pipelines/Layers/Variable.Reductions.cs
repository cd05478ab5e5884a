using Pipelines.Tensors;

namespace Pipelines.Layers;

public sealed partial class Variable
{
    /// <summary>The sum of all elements, a 0-d variable.</summary>
    public Variable Sum() => Unary(this, Value.Sum(), g => Tensor.Full(Shape, g.Item(), DType));

    /// <summary>The mean of all elements, a 0-d variable.</summary>
    public Variable Mean() => Unary(this, Value.Mean(), g => Tensor.Full(Shape, g.Item() / Value.Count, DType));

    /// <summary>The sum along <paramref name="axis"/>, like <c>x.sum(dim, keepdim)</c>.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1.</param>
    public Variable Sum(int axis, bool keepDim = false) =>
        Unary(this, Value.Sum(axis, keepDim), g => g.Reshape(Shape.Reduced(axis, keep: true)).BroadcastTo(Shape));

    /// <summary>The mean along <paramref name="axis"/>, like <c>x.mean(dim, keepdim)</c>.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1.</param>
    public Variable Mean(int axis, bool keepDim = false) =>
        Unary(this, Value.Mean(axis, keepDim), g => g.Reshape(Shape.Reduced(axis, keep: true)).BroadcastTo(Shape) / Shape[axis]);

    /// <summary>The largest element along <paramref name="axis"/>, like <c>x.max(dim, keepdim).values</c>; the gradient goes to the first of equal maxima, as PyTorch's.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1.</param>
    public Variable Max(int axis, bool keepDim = false)
    {
        var index = Value.ArgMax(axis, keepDim: true);
        var kept = Value.Gather(axis, index);
        return Unary(this, keepDim ? kept : kept.Reshape(Shape.Reduced(axis, keep: false)), g => g.Reshape(kept.Shape).ScatterAddInto(Shape, axis, index));
    }

    /// <summary>The smallest element along <paramref name="axis"/>, like <c>x.min(dim, keepdim).values</c>.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1.</param>
    public Variable Min(int axis, bool keepDim = false) => -(-this).Max(axis, keepDim);

    /// <summary>
    /// The variance along <paramref name="axis"/>, like <c>x.var(dim, correction, keepdim)</c>: the squared deviations'
    /// sum divided by (n − <paramref name="correction"/>); 1, the default, is the unbiased estimate, 0 the biased one.
    /// </summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1.</param>
    /// <param name="correction">Subtracted from the count in the divisor.</param>
    public Variable Var(int axis, bool keepDim = false, int correction = 1)
    {
        var deviation = this - Mean(axis, keepDim: true);
        return deviation.Square().Sum(axis, keepDim) / Math.Max(0, Shape[axis] - correction);
    }
}
