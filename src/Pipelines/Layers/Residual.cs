using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>x + fn(x): a residual connection around <see cref="Fn"/>, whose parameters are named <c>fn.…</c>.</summary>
public sealed record Residual(Layer Fn) : Layer
{
    /// <summary>Prints the wrapped layer.</summary>
    public override string ToString() => $"Residual(\n  (fn): {Fn.ToString()!.Replace("\n", "\n  ", StringComparison.Ordinal)}\n)";

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        var inner = Fn.Run(x, context, LayerPath.Join(path, "fn"));
        if (inner.Output.Shape != x.Shape)
            throw new ArgumentException($"{LayerPath.Describe("Residual", path)} needs fn to keep the shape {x.Shape} but it gave {inner.Output.Shape}.", nameof(x));
        return new Traced(x + inner.Output, new CompositeTrace([inner.Trace]), ReferenceEquals(inner.Next, Fn) ? this : new Residual(inner.Next));
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var inner = Expect<CompositeTrace>(trace, "Residual", path).Children[0];
        var (dx, gradient) = Fn.Backward(inner, dy, LayerPath.Join(path, "fn"));
        return (dy + dx, new Residual(gradient));
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) => Fn.NamedParameters(LayerPath.Join(prefix, "fn"));

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) => new Residual(Fn.MapParameters(LayerPath.Join(prefix, "fn"), map));

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix) => Fn.NamedBuffers(LayerPath.Join(prefix, "fn"));

    /// <inheritdoc/>
    protected internal override Layer MapBuffers(string prefix, Func<string, Tensor, Tensor> map) => new Residual(Fn.MapBuffers(LayerPath.Join(prefix, "fn"), map));
}
