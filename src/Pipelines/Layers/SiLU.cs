using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>x·σ(x), like <c>nn.SiLU</c>.</summary>
public sealed record SiLU : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>SiLU()</c>.</summary>
    public override string ToString() => "SiLU()";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.Silu(x);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.SiluBackward(x, dy);
}
