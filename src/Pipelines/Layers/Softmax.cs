using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>Softmax along an axis (default the last), like <c>nn.Softmax(dim)</c>.</summary>
/// <param name="Axis">The axis the probabilities sum to 1 along (default the last).</param>
public sealed record Softmax(int Axis = -1) : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>Softmax(...)</c>.</summary>
    public override string ToString() => $"Softmax(dim={Axis})";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.Softmax(x, Axis);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.SoftmaxBackward(y, dy, Axis);
}
