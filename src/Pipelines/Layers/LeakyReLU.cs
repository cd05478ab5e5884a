using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>x where x &gt; 0, else slope·x, like <c>nn.LeakyReLU</c>.</summary>
/// <param name="NegativeSlope">The slope for negative inputs.</param>
public sealed record LeakyReLU(double NegativeSlope = 0.01) : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>LeakyReLU(...)</c>.</summary>
    public override string ToString() => $"LeakyReLU(negative_slope={PythonFloat(NegativeSlope)})";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.LeakyRelu(x, NegativeSlope);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.LeakyReluBackward(x, dy, NegativeSlope);
}
