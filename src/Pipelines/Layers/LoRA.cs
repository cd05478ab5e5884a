using System.Globalization;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A low-rank adapter around a linear layer: <c>y = base(x) + (α/r)·x·Aᵀ·Bᵀ</c> with A [r, in] and B [out, r], as in
/// LoRA (Hu et al., 2021). A starts as PyTorch's default Linear init and B as zeros, so the adapter starts as the
/// base layer. Freeze the base by training only names that start with <c>lora_</c> (<c>Optimizers.Freeze</c>).
/// </summary>
public sealed record LoRA : Layer
{
    /// <summary>An adapter of rank <paramref name="rank"/> and scale α/r around <paramref name="baseLayer"/>.</summary>
    /// <param name="baseLayer">The layer to adapt.</param>
    /// <param name="rank">The rank r of the update.</param>
    /// <param name="key">The key A is drawn from.</param>
    /// <param name="alpha">The scale numerator α.</param>
    public LoRA(Linear baseLayer, int rank, Key key, double alpha = 1)
        : this(baseLayer, DownProjection(baseLayer, rank, key), UpProjection(baseLayer, rank), alpha)
    {
    }

    /// <summary>An adapter from existing parts.</summary>
    /// <param name="baseLayer">The adapted layer.</param>
    /// <param name="a">The down-projection, [r, in], without bias.</param>
    /// <param name="b">The up-projection, [out, r], without bias.</param>
    /// <param name="alpha">The scale numerator α.</param>
    public LoRA(Linear baseLayer, Linear a, Linear b, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(baseLayer);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.InFeatures != baseLayer.InFeatures || b.OutFeatures != baseLayer.OutFeatures || a.OutFeatures != b.InFeatures || a.Bias is not null || b.Bias is not null)
            throw new ArgumentException($"LoRA needs A [r, {baseLayer.InFeatures}] and B [{baseLayer.OutFeatures}, r] without biases but got A {a.Weight.Shape} and B {b.Weight.Shape}.", nameof(a));
        if (a.OutFeatures < 1)
            throw new ArgumentException("LoRA needs a rank of at least 1.", nameof(a));
        (Base, A, B, Alpha) = (baseLayer, a, b, alpha);
    }

    /// <summary>The adapted layer.</summary>
    public Linear Base { get; }

    /// <summary>The down-projection, [r, in].</summary>
    public Linear A { get; }

    /// <summary>The up-projection, [out, r].</summary>
    public Linear B { get; }

    /// <summary>The scale numerator: the update is multiplied by α/r.</summary>
    public double Alpha { get; }

    /// <summary>The rank r.</summary>
    public int Rank => A.OutFeatures;

    /// <inheritdoc/>
    public override LayerParts Parts => new() { Children = [("base", Base), ("lora_a", A), ("lora_b", B)] };

    /// <summary>Describes the adapter.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"LoRA({Base}, rank={Rank}, alpha={Alpha})");

    /// <inheritdoc/>
    protected override Layer Rebuild(LayerParts parts) => new LoRA(parts.Child<Linear>("base"), parts.Child<Linear>("lora_a"), parts.Child<Linear>("lora_b"), Alpha);

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var main = Base.Forward(x, context.Child("base"));
        var down = A.Forward(x, context.Child("lora_a"));
        var up = B.Forward(down.Output, context.Child("lora_b"));
        return new Traced(main.Output + (up.Output * Scale), new CompositeTrace([main.Trace, down.Trace, up.Trace]), this);
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var children = Expect<CompositeTrace>(trace).Children;
        var (dxBase, gBase) = Base.Backward(children[0], dy, inputGradient);
        var (dDown, gB) = B.Backward(children[2], dy * Scale, inputGradient: true);
        var (dxA, gA) = A.Backward(children[1], dDown!, inputGradient);
        return (inputGradient ? dxBase! + dxA! : null, WithChildren([gBase, gA, gB]));
    }

    private double Scale => Alpha / Rank;

    private static Linear DownProjection(Linear baseLayer, int rank, Key key)
    {
        ArgumentNullException.ThrowIfNull(baseLayer);
        return new Linear(key, baseLayer.InFeatures, rank, bias: false, dtype: baseLayer.Weight.DType);
    }

    private static Linear UpProjection(Linear baseLayer, int rank) =>
        new(Tensor.Zeros(new Shape(baseLayer.OutFeatures, rank), baseLayer.Weight.DType));
}
