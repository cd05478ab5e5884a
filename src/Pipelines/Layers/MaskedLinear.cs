using LanguageExt;
using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A linear layer with a fixed sparsity pattern: <c>y = x·(W ⊙ M)ᵀ + b</c>. The mask M is a buffer (saved, never
/// trained) of zeros and ones shaped like the weight; masked weights get zero gradient.
/// </summary>
public sealed record MaskedLinear : Layer
{
    /// <summary>A masked layer around <paramref name="linear"/>'s parameters.</summary>
    public MaskedLinear(Linear linear, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(linear);
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Shape != linear.Weight.Shape || mask.DType != linear.Weight.DType)
            throw new ArgumentException($"MaskedLinear mask must be shaped like the weight {linear.Weight.Shape} ({linear.Weight.DType.Name()}) but got {mask.Shape} ({mask.DType.Name()}).", nameof(mask));
        if (mask.ToFloat64Array().Any(m => m is not (0 or 1)))
            throw new ArgumentException("MaskedLinear mask must hold only 0 and 1.", nameof(mask));
        (Linear, Mask) = (linear, mask);
    }

    /// <summary>The weight and bias (the weight as stored, before masking).</summary>
    public Linear Linear { get; }

    /// <summary>The fixed mask, a buffer.</summary>
    public Tensor Mask { get; }

    /// <summary>Describes the layer and its density.</summary>
    public override string ToString() => $"MaskedLinear(in_features={Linear.InFeatures}, out_features={Linear.OutFeatures}, bias={(Linear.Bias.IsSome ? "True" : "False")}, density={Mask.Mean().Item():0.###})";

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path) =>
        Masked().Forward(x, context, path) with { Next = this };

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var (dx, gradient) = Masked().Backward(trace, dy, path);
        var g = (Linear)gradient;
        return (dx, new MaskedLinear(new Linear(g.Weight * Mask, g.Bias), Mask));
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) => Linear.NamedParameters(prefix);

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) => new MaskedLinear((Linear)Linear.MapParameters(prefix, map), Mask);

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix) => [new(LayerPath.Join(prefix, "mask"), Mask)];

    /// <inheritdoc/>
    protected internal override Layer MapBuffers(string prefix, Func<string, Tensor, Tensor> map) => new MaskedLinear(Linear, map(LayerPath.Join(prefix, "mask"), Mask));

    private Linear Masked() => new(Linear.Weight * Mask, Linear.Bias);
}
