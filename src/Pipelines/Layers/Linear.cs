using LanguageExt;
using Pipelines.Autodiff;
using Pipelines.Tensors;
using static LanguageExt.Prelude;

namespace Pipelines.Layers;

/// <summary>
/// A fully connected layer with exactly PyTorch's <c>nn.Linear</c> semantics: weight <c>[out, in]</c>,
/// optional bias <c>[out]</c>, and <c>y = x·Wᵀ + b</c> over the last axis of an input of any rank ≥ 1.
/// The record is immutable and checks its invariants when constructed.
/// </summary>
public sealed partial record Linear : Layer
{
    /// <summary>
    /// A layer with PyTorch's default initialisation drawn from <paramref name="key"/>: weight from
    /// <c>kaiming_uniform(a=√5)</c>, i.e. U(−1/√in, 1/√in), and bias from U(−1/√in, 1/√in) (0 when in is 0).
    /// </summary>
    public Linear(Key key, int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32)
        : this(DefaultParameters(key, inFeatures, outFeatures, bias, dtype))
    {
    }

    /// <summary>A layer with the given weight <c>[out, in]</c> and optional bias <c>[out]</c>.</summary>
    public Linear(Tensor weight, Option<Tensor> bias)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2)
            throw new ArgumentException($"Linear weight must be 2-D [out_features, in_features] but got {weight.Shape}.", nameof(weight));
        bias.IfSome(b => CheckBias(weight, b));
        Weight = weight;
        Bias = bias;
    }

    /// <summary>A layer with the given weight <c>[out, in]</c> and no bias.</summary>
    public Linear(Tensor weight)
        : this(weight, None)
    {
    }

    private Linear((Tensor Weight, Option<Tensor> Bias) parameters)
        : this(parameters.Weight, parameters.Bias)
    {
    }

    /// <summary>The weight, <c>[out_features, in_features]</c>.</summary>
    public Tensor Weight { get; }

    /// <summary>The bias, <c>[out_features]</c>, when the layer has one.</summary>
    public Option<Tensor> Bias { get; }

    /// <summary>Size of each input sample (the last axis of the input).</summary>
    public int InFeatures => Weight.Shape[1];

    /// <summary>Size of each output sample.</summary>
    public int OutFeatures => Weight.Shape[0];

    /// <summary>Prints as PyTorch does: <c>Linear(in_features=3, out_features=2, bias=True)</c>.</summary>
    public override string ToString() => $"Linear(in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias.IsSome ? "True" : "False")})";

    /// <summary>
    /// The backward rules: given the input <paramref name="x"/> of the forward pass and the upstream
    /// gradient <paramref name="dy"/> (shaped like the output), returns <c>dx = dy·W</c> and the
    /// parameter gradients as a <see cref="Linear"/> of the same structure: <c>dW = Σ dyᵀ·x</c> and
    /// <c>db = Σ dy</c> summed over every leading axis.
    /// </summary>
    public (Tensor Dx, Linear Gradient) Backward(Tensor x, Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(dy);
        return Backward(x, dy, LayerPath.Root);
    }

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        CheckInput(x, path);
        return new Traced(Project(x, Weight, Bias), new InputTrace(x), this);
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path) =>
        Backward(Expect<InputTrace>(trace, "Linear", path).Input, dy, path);

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix)
    {
        yield return new(LayerPath.Join(prefix, "weight"), Weight);
        foreach (var bias in Bias)
            yield return new(LayerPath.Join(prefix, "bias"), bias);
    }

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) =>
        new Linear(map(LayerPath.Join(prefix, "weight"), Weight), Bias.Map(b => map(LayerPath.Join(prefix, "bias"), b)));

    private (Tensor Dx, Linear Gradient) Backward(Tensor x, Tensor dy, string path)
    {
        CheckInput(x, path);
        var expected = x.Rank == 1 ? new Shape(OutFeatures) : x.Shape.WithLast(OutFeatures);
        if (dy.Shape != expected || dy.DType != x.DType)
            throw new ArgumentException($"{LayerPath.Describe("Linear", path)} backward expects dy {expected} ({x.DType.Name()}) for input {x.Shape} but got {dy.Shape} ({dy.DType.Name()}).", nameof(dy));
        var gradient = new Linear(WeightGradient(dy, x), Bias.Map(_ => BiasGradient(dy)));
        return (InputGradient(dy, Weight), gradient);
    }

    private void CheckInput(Tensor x, string path)
    {
        if (x.Rank == 0 || x.Shape.Last != InFeatures)
            throw new ArgumentException($"{LayerPath.Describe("Linear", path)} expects input [..., {InFeatures}] but got {x.Shape}.", nameof(x));
        if (x.DType != Weight.DType)
            throw new ArgumentException($"{LayerPath.Describe("Linear", path)} has {Weight.DType.Name()} parameters but got {x.DType.Name()} input {x.Shape}; convert one with To().", nameof(x));
    }

    private static void CheckBias(Tensor weight, Tensor bias)
    {
        if (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0])
            throw new ArgumentException($"Linear bias must be [out_features] = [{weight.Shape[0]}] for weight {weight.Shape} but got {bias.Shape}.", nameof(bias));
        if (bias.DType != weight.DType)
            throw new ArgumentException($"Linear bias must have the weight's dtype {weight.DType.Name()} but got {bias.DType.Name()}.", nameof(bias));
    }

    private static (Tensor, Option<Tensor>) DefaultParameters(Key key, int inFeatures, int outFeatures, bool bias, DType dtype)
    {
        if (inFeatures < 0 || outFeatures < 0)
            throw new ArgumentOutOfRangeException(inFeatures < 0 ? nameof(inFeatures) : nameof(outFeatures), $"Linear sizes must be non-negative but got in_features={inFeatures}, out_features={outFeatures}.");
        var (weightKey, biasKey) = key.Split();
        var weight = Init.KaimingUniform(weightKey, new Shape(outFeatures, inFeatures), a: Math.Sqrt(5), dtype: dtype);
        var bound = inFeatures > 0 ? 1 / Math.Sqrt(inFeatures) : 0;
        return (weight, bias ? Some(Init.Uniform(biasKey, new Shape(outFeatures), -bound, bound, dtype)) : None);
    }
}
