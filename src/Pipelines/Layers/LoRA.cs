using System.Globalization;
using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A low-rank adapter around a linear layer: <c>y = base(x) + (α/r)·x·Aᵀ·Bᵀ</c> with A [r, in] and B [out, r], as in
/// LoRA (Hu et al., 2021). A starts as PyTorch's default Linear init and B as zeros, so the adapter starts as the
/// base layer. Freeze the base by training only names that start with <c>lora_</c> (<c>Optimizers.Masked</c>).
/// </summary>
public sealed record LoRA : Layer
{
    /// <summary>An adapter of rank <paramref name="rank"/> and scale α/r around <paramref name="baseLayer"/>.</summary>
    public LoRA(Linear baseLayer, int rank, Key key, double alpha = 1)
        : this(baseLayer, new Linear(key, baseLayer?.InFeatures ?? 0, rank, bias: false, dtype: baseLayer?.Weight.DType ?? DType.Float32), new Linear(Tensor.Zeros(new Shape(baseLayer?.OutFeatures ?? 0, rank), baseLayer?.Weight.DType ?? DType.Float32)), alpha)
    {
    }

    /// <summary>An adapter from existing parts.</summary>
    public LoRA(Linear baseLayer, Linear a, Linear b, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(baseLayer);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.InFeatures != baseLayer.InFeatures || b.OutFeatures != baseLayer.OutFeatures || a.OutFeatures != b.InFeatures || a.Bias.IsSome || b.Bias.IsSome)
            throw new ArgumentException($"LoRA needs A [r, {baseLayer.InFeatures}] and B [{baseLayer.OutFeatures}, r] without biases but got A {a.Weight.Shape} and B {b.Weight.Shape}.", nameof(a));
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

    /// <summary>Describes the adapter.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"LoRA({Base}, rank={Rank}, alpha={Alpha})");

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        var main = Base.Run(x, context, LayerPath.Join(path, "base"));
        var down = A.Run(x, context, LayerPath.Join(path, "lora_a"));
        var up = B.Run(down.Output, context, LayerPath.Join(path, "lora_b"));
        return new Traced(main.Output + (up.Output * Scale), new CompositeTrace([main.Trace, down.Trace, up.Trace]), this);
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var children = Expect<CompositeTrace>(trace, "LoRA", path).Children;
        var (dxBase, gBase) = Base.Backward(children[0], dy, LayerPath.Join(path, "base"));
        var (dDown, gB) = B.Backward(children[2], dy * Scale, LayerPath.Join(path, "lora_b"));
        var (dxA, gA) = A.Backward(children[1], dDown, LayerPath.Join(path, "lora_a"));
        return (dxBase + dxA, new LoRA((Linear)gBase, (Linear)gA, (Linear)gB, Alpha));
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) =>
        Base.NamedParameters(LayerPath.Join(prefix, "base")).Concat(A.NamedParameters(LayerPath.Join(prefix, "lora_a"))).Concat(B.NamedParameters(LayerPath.Join(prefix, "lora_b")));

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) => new LoRA(
        (Linear)Base.MapParameters(LayerPath.Join(prefix, "base"), map),
        (Linear)A.MapParameters(LayerPath.Join(prefix, "lora_a"), map),
        (Linear)B.MapParameters(LayerPath.Join(prefix, "lora_b"), map),
        Alpha);

    private double Scale => Alpha / Rank;
}
