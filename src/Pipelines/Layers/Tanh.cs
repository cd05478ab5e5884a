using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>The hyperbolic tangent, like <c>nn.Tanh</c>.</summary>
public sealed record Tanh : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>Tanh()</c>.</summary>
    public override string ToString() => "Tanh()";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.Tanh(x);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.TanhBackward(y, dy);
}
