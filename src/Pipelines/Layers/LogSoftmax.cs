using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>Log-softmax along an axis (default the last), like <c>nn.LogSoftmax(dim)</c>.</summary>
/// <param name="Axis">The axis to normalise along (default the last).</param>
public sealed record LogSoftmax(int Axis = -1) : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>LogSoftmax(...)</c>.</summary>
    public override string ToString() => $"LogSoftmax(dim={Axis})";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.LogSoftmax(x, Axis);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.LogSoftmaxBackward(y, dy, Axis);
}
