using Pipelines.Layers.Functional;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>The rectified linear unit max(x, 0), element-wise (NaN stays NaN), like <c>nn.ReLU</c>. No parameters.</summary>
public sealed record ReLU : Layer
{
    /// <summary>Prints as PyTorch does: <c>ReLU()</c>.</summary>
    public override string ToString() => "ReLU()";

    /// <inheritdoc/>
    protected internal override Tensor Forward(Tensor x, string path) => Activations.Relu(x);

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) => [];

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) => this;
}
