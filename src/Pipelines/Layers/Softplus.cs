using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>log(1 + e^(βx)) / β, like <c>nn.Softplus</c>.</summary>
/// <param name="Beta">The sharpness β.</param>
/// <param name="Threshold">Above βx = threshold the function is the identity.</param>
public sealed record Softplus(double Beta = 1, double Threshold = 20) : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>Softplus(...)</c>.</summary>
    public override string ToString() => $"Softplus(beta={PythonFloat(Beta)}, threshold={PythonFloat(Threshold)})";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.Softplus(x, Beta, Threshold);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.SoftplusBackward(x, dy, Beta, Threshold);
}
