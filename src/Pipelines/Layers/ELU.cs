using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>x where x &gt; 0, else α·(eˣ − 1), like <c>nn.ELU</c>.</summary>
/// <param name="Alpha">The scale of the negative side, α.</param>
public sealed record ELU(double Alpha = 1) : ElementwiseLayer
{
    /// <summary>Prints as PyTorch does: <c>ELU(...)</c>.</summary>
    public override string ToString() => $"ELU(alpha={PythonFloat(Alpha)})";

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor x) => Activations.Elu(x, Alpha);

    /// <inheritdoc/>
    protected override Tensor Derivative(Tensor x, Tensor y, Tensor dy) => Activations.EluBackward(x, dy, Alpha);
}
