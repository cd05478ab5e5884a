using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>x + fn(x): a residual connection around <see cref="Fn"/>, whose parameters are named <c>fn.…</c>.</summary>
public sealed record Residual : Layer
{
    /// <summary>A residual connection around <paramref name="fn"/>, which must keep the input's shape.</summary>
    /// <param name="fn">The wrapped layer.</param>
    public Residual(Layer fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        Fn = fn;
    }

    /// <summary>The wrapped layer.</summary>
    public Layer Fn { get; }

    /// <inheritdoc/>
    public override LayerParts Parts => new() { Children = [("fn", Fn)] };

    /// <summary>Prints the wrapped layer.</summary>
    public override string ToString() => $"Residual(\n  (fn): {Fn.ToString()!.Replace("\n", "\n  ", StringComparison.Ordinal)}\n)";

    /// <inheritdoc/>
    protected override Layer Rebuild(LayerParts parts) => new Residual(parts.Child<Layer>("fn"));

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var inner = Fn.Forward(x, context.Child("fn"));
        if (inner.Output.Shape != x.Shape)
            throw new ArgumentException($"{Describe(context.Path)} needs fn to keep the shape {x.Shape} but it gave {inner.Output.Shape}.", nameof(x));
        return new Traced(x + inner.Output, new CompositeTrace([inner.Trace]), WithChildren([inner.Next]));
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var inner = Expect<CompositeTrace>(trace).Children[0];
        var (dx, gradient) = Fn.Backward(inner, dy, inputGradient);
        return (inputGradient ? dy + dx! : null, WithChildren([gradient]));
    }
}
