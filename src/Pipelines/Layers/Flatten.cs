using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Flattens every sample to one axis, like <c>nn.Flatten()</c>: [N, ...] becomes [N, product of the rest]. The product
/// is computed, not inferred, so an empty batch flattens too.
/// </summary>
public sealed record Flatten : Layer
{
    /// <summary>Prints as PyTorch does.</summary>
    public override string ToString() => "Flatten(start_dim=1, end_dim=-1)";

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        if (x.Rank == 0)
            throw new ArgumentException($"{Describe(context.Path)} expects input with a batch axis but got a scalar.", nameof(x));
        return new Traced(x.Reshape(new Shape(x.Shape[0], x.Shape.DropFirst().ElementCount)), new InputTrace(x), this);
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var input = Expect<InputTrace>(trace).Input;
        if (dy.Count != input.Count)
            throw new ArgumentException($"{Describe(trace.Path)} backward expects dy with {input.Count} elements but got {dy.Shape}.", nameof(dy));
        return (inputGradient ? dy.Reshape(input.Shape) : null, this);
    }
}
