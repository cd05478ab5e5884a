using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Models and gradients are one kind of value, so they form a vector space over their parameters: <c>+</c>,
/// <c>−</c>, scaling and zero act parameter by parameter and keep the structure (buffers come from the left operand).
/// </summary>
public abstract partial record Layer
{
    /// <summary>Parameter-wise sum; both sides must have the same parameters (names and shapes).</summary>
    /// <param name="left">The left operand; the result has its structure and buffers.</param>
    /// <param name="right">The right operand.</param>
    public static Layer operator +(Layer left, Layer right) => Zip(left, right, static (_, a, b) => a + b);

    /// <summary>Parameter-wise difference.</summary>
    /// <param name="left">The left operand; the result has its structure and buffers.</param>
    /// <param name="right">The right operand.</param>
    public static Layer operator -(Layer left, Layer right) => Zip(left, right, static (_, a, b) => a - b);

    /// <summary>Every parameter times <paramref name="scale"/>.</summary>
    /// <param name="scale">The factor.</param>
    /// <param name="layer">The layer.</param>
    public static Layer operator *(double scale, Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer.MapParameters((_, p) => p * scale);
    }

    /// <summary>The same structure with every parameter zero: the unit of <c>+</c>.</summary>
    public Layer ZerosLike() => MapParameters(static (_, p) => Tensor.Zeros(p.Shape, p.DType));

    /// <summary>
    /// <paramref name="combine"/>(name, left, right) for every parameter, in <paramref name="left"/>'s structure. The two
    /// must have the same parameter names, in order, and shapes, or the error names the first difference.
    /// </summary>
    /// <param name="left">The first layer; the result has its structure and buffers.</param>
    /// <param name="right">The second layer.</param>
    /// <param name="combine">The combination of the two tensors of each parameter.</param>
    public static Layer Zip(Layer left, Layer right, Func<string, Tensor, Tensor, Tensor> combine)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        ArgumentNullException.ThrowIfNull(combine);
        var combined = NamedTensors.Zip(left.NamedParameters(), right.NamedParameters(), combine);
        return left.MapParameters((name, _) => combined[name]);
    }

    /// <summary>The Euclidean norm of all parameters together, like the total norm of <c>clip_grad_norm_</c>, accumulated in double.</summary>
    public double GlobalNorm() => Math.Sqrt(NamedParameters().Tensors.Sum(p => p.SumOfSquares()));
}
