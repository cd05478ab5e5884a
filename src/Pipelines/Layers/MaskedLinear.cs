using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A linear layer with a fixed sparsity pattern: <c>y = x·(W ⊙ M)ᵀ + b</c>. The mask M is a buffer (saved, never
/// trained) of zeros and ones shaped like the weight; masked weights get zero gradient.
/// </summary>
public sealed record MaskedLinear : Layer
{
    /// <summary>A masked layer around <paramref name="linear"/>'s parameters.</summary>
    /// <param name="linear">The weight (as stored, before masking) and bias.</param>
    /// <param name="mask">Zeros and ones shaped and typed like the weight.</param>
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

    /// <inheritdoc/>
    public override LayerParts Parts => Linear.Parts with { Buffers = [("mask", Mask)] };

    /// <summary>Describes the layer and its density.</summary>
    public override string ToString() => $"MaskedLinear(in_features={Linear.InFeatures}, out_features={Linear.OutFeatures}, bias={(Linear.Bias is null ? "False" : "True")}, density={Mask.Mean().Item():0.###})";

    /// <inheritdoc/>
    protected override Layer Rebuild(LayerParts parts) => new MaskedLinear(new Linear(parts.Parameter("weight"), parts.OptionalParameter("bias")), parts.Buffer("mask"));

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        if (x.Rank == 0 || x.Shape.Last != Linear.InFeatures || x.DType != Mask.DType)
            throw new ArgumentException($"{Describe(context.Path)} expects input [..., {Linear.InFeatures}] ({Mask.DType.Name()}) but got {x.Shape} ({x.DType.Name()}).", nameof(x));
        return new Traced(Linear.Apply(x, MaskedWeight, Linear.Bias), new InputTrace(x), this);
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var x = Expect<InputTrace>(trace).Input;
        var expected = x.Shape.WithLast(Linear.OutFeatures);
        if (dy.Shape != expected || dy.DType != x.DType)
            throw new ArgumentException($"{Describe(trace.Path)} backward expects dy {expected} ({x.DType.Name()}) but got {dy.Shape} ({dy.DType.Name()}).", nameof(dy));
        var gradient = new MaskedLinear(new Linear(Linear.WeightGradient(dy, x) * Mask, Linear.Bias is null ? null : Linear.BiasGradient(dy)), Mask);
        return (inputGradient ? Linear.InputGradient(dy, MaskedWeight) : null, gradient);
    }

    private Tensor MaskedWeight => Linear.Weight * Mask;
}
