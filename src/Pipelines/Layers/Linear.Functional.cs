using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>The functional form of the linear layer and its backward rules, as plain functions on tensors.</summary>
public sealed partial record Linear
{
    /// <summary>
    /// <c>x·Wᵀ + b</c> over the last axis, like <c>torch.nn.functional.linear</c>: <c>[..., in]</c> gives
    /// <c>[..., out]</c> and a 1-D input <c>[in]</c> gives <c>[out]</c>.
    /// </summary>
    /// <param name="x">The input, <c>[..., in]</c>.</param>
    /// <param name="weight">The weight, <c>[out, in]</c>.</param>
    /// <param name="bias">The bias, <c>[out]</c>, or null.</param>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias = null) => new Linear(weight, bias).Forward(x);

    /// <summary><c>dx = dy·W</c>: the gradient with respect to the input, shaped like the input.</summary>
    /// <param name="dy">The gradient of the output, <c>[..., out]</c>.</param>
    /// <param name="weight">The weight, <c>[out, in]</c>.</param>
    public static Tensor InputGradient(Tensor dy, Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(dy);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2 || dy.Rank == 0 || dy.Shape.Last != weight.Shape[0])
            throw new ArgumentException($"Linear input gradient expects dy [..., {(weight.Rank == 2 ? weight.Shape[0] : "out")}] and weight [out, in] but got dy {dy.Shape} and weight {weight.Shape}.", nameof(dy));
        Products.RequireSameDType("Linear input gradient", dy, weight);
        return Products.Multiply(dy, weight, dy.Shape.WithLast(weight.Shape[1]));
    }

    /// <summary><c>dW = Σ dyᵀ·x</c> over every leading axis: <c>[out, in]</c>.</summary>
    /// <param name="dy">The gradient of the output, <c>[..., out]</c>.</param>
    /// <param name="x">The forward input, <c>[..., in]</c> with the same leading axes.</param>
    public static Tensor WeightGradient(Tensor dy, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(dy);
        ArgumentNullException.ThrowIfNull(x);
        if (dy.Rank == 0 || x.Rank == 0 || !dy.Shape.Dims[..^1].SequenceEqual(x.Shape.Dims[..^1]))
            throw new ArgumentException($"Linear weight gradient expects dy [..., out] and x [..., in] with the same leading axes but got dy {dy.Shape} and x {x.Shape}.", nameof(dy));
        Products.RequireSameDType("Linear weight gradient", dy, x);
        return Products.TransposeMultiply(dy, x, donated: null);
    }

    /// <summary><c>db = Σ dy</c> over every leading axis: <c>[out]</c>.</summary>
    /// <param name="dy">The gradient of the output, <c>[..., out]</c>.</param>
    public static Tensor BiasGradient(Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(dy);
        if (dy.Rank == 0)
            throw new ArgumentException("Linear bias gradient expects dy [..., out] but got a scalar.", nameof(dy));
        return dy.Reshape(dy.Shape.LeadingCount, dy.Shape.Last).Sum(0);
    }

    private static Tensor Project(Tensor x, Tensor weight, Tensor? bias) =>
        Products.MultiplyTransposed(x, weight, bias, x.Shape.WithLast(weight.Shape[0]));
}
