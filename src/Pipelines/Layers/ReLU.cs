using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>max(x, 0), like <c>nn.ReLU</c>.</summary>
public sealed record ReLU : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>ReLU()</c>.</summary>
    public override string ToString() => "ReLU()";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.Relu(x);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.ReluBackward(x, dy);
}
