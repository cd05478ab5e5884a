using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>The identity, like <c>nn.Identity</c>; useful as the unit of composition.</summary>
public sealed record Identity : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>Identity()</c>.</summary>
    public override string ToString() => "Identity()";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => x;

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => dy;
}
