using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>The Gaussian error linear unit, like <c>nn.GELU(approximate)</c>.</summary>
/// <param name="Approximate">The exact form or the tanh approximation.</param>
public sealed record GELU(GeluApproximation Approximate = GeluApproximation.None) : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>GELU(...)</c>.</summary>
    public override string ToString() => $"GELU(approximate='{(Approximate == GeluApproximation.None ? "none" : "tanh")}')";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.Gelu(x, Approximate);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.GeluBackward(x, dy, Approximate);
}
