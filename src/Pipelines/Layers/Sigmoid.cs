using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>The logistic function, like <c>nn.Sigmoid</c>.</summary>
public sealed record Sigmoid : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>Sigmoid()</c>.</summary>
    public override string ToString() => "Sigmoid()";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.Sigmoid(x);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.SigmoidBackward(y, dy);
}
