using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Models and gradients are one kind of value, so they form a vector space over their parameters: <c>+</c>,
/// <c>−</c>, scaling and zero act parameter by parameter and keep the structure (buffers come from the left operand).
/// </summary>
public abstract partial record Layer
{
    /// <summary>Parameter-wise sum; both sides must have the same parameters (names and shapes).</summary>
    public static Layer operator +(Layer left, Layer right) => Zip(left, right, static (_, a, b) => a + b);

    /// <summary>Parameter-wise difference.</summary>
    public static Layer operator -(Layer left, Layer right) => Zip(left, right, static (_, a, b) => a - b);

    /// <summary>Every parameter times <paramref name="scale"/>.</summary>
    public static Layer operator *(double scale, Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer.MapParameters((_, p) => p * scale);
    }

    /// <summary>The same structure with every parameter zero: the unit of <c>+</c>.</summary>
    public Layer ZerosLike() => MapParameters(static (_, p) => Tensor.Zeros(p.Shape, p.DType));

    /// <summary>
    /// <paramref name="combine"/>(name, left, right) for every parameter, in <paramref name="left"/>'s structure. The two
    /// must have the same parameter names and shapes, or the error names the first difference.
    /// </summary>
    public static Layer Zip(Layer left, Layer right, Func<string, Tensor, Tensor, Tensor> combine)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        ArgumentNullException.ThrowIfNull(combine);
        var others = right.NamedParameters().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var names = left.NamedParameters().Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var missing = names.Where(n => !others.ContainsKey(n)).Concat(others.Keys.Where(n => !names.Contains(n))).FirstOrDefault();
        if (missing is not null)
            throw new ArgumentException($"Parameter '{missing}' is in one of the two values but not the other; they must have the same structure.", nameof(right));
        return left.MapParameters((name, a) => others[name].Shape == a.Shape
            ? combine(name, a, others[name])
            : throw new ArgumentException($"Parameter '{name}' is {a.Shape} on one side and {others[name].Shape} on the other.", nameof(right)));
    }

    /// <summary>The Euclidean norm of all parameters together, like the total norm of <c>clip_grad_norm_</c>.</summary>
    public double GlobalNorm() => Math.Sqrt(Parameters().Sum(p => (p * p).Sum().Item()));
}
