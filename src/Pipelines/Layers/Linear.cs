using Pipelines.Kernels;
using Pipelines.Tensors;

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
    /// <param name="key">The key the weight and bias are drawn from (split in two).</param>
    /// <param name="inFeatures">Size of each input sample.</param>
    /// <param name="outFeatures">Size of each output sample.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <param name="dtype">float32 or float64.</param>
    public Linear(Key key, int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32)
        : this(DefaultParameters(key, inFeatures, outFeatures, bias, dtype))
    {
    }

    /// <summary>A layer with the given weight <c>[out, in]</c> and optional bias <c>[out]</c> of the weight's dtype.</summary>
    /// <param name="weight">The weight, <c>[out_features, in_features]</c>, as PyTorch stores it.</param>
    /// <param name="bias">The bias, <c>[out_features]</c>, or null for none.</param>
    public Linear(Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2)
            throw new ArgumentException($"Linear weight must be 2-D [out_features, in_features] but got {weight.Shape}.", nameof(weight));
        if (!weight.DType.IsFloatingPoint())
            throw new ArgumentException($"Linear weight must be float32 or float64 but got {weight.DType.Name()}.", nameof(weight));
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
            throw new ArgumentException($"Linear bias must be [out_features] = [{weight.Shape[0]}] for weight {weight.Shape} but got {bias.Shape}.", nameof(bias));
        if (bias is not null && bias.DType != weight.DType)
            throw new ArgumentException($"Linear bias must have the weight's dtype {weight.DType.Name()} but got {bias.DType.Name()}.", nameof(bias));
        Weight = weight;
        Bias = bias;
    }

    private Linear((Tensor Weight, Tensor? Bias) parameters)
        : this(parameters.Weight, parameters.Bias)
    {
    }

    /// <summary>The weight, <c>[out_features, in_features]</c>.</summary>
    public Tensor Weight { get; }

    /// <summary>The bias, <c>[out_features]</c>, or null when the layer has none.</summary>
    public Tensor? Bias { get; }

    /// <summary>Size of each input sample (the last axis of the input).</summary>
    public int InFeatures => Weight.Shape[1];

    /// <summary>Size of each output sample.</summary>
    public int OutFeatures => Weight.Shape[0];

    /// <inheritdoc/>
    public override LayerParts Parts => new()
    {
        Parameters = Bias is null ? [("weight", Weight)] : [("weight", Weight), ("bias", Bias)],
    };

    /// <summary>Prints as PyTorch does: <c>Linear(in_features=3, out_features=2, bias=True)</c>.</summary>
    public override string ToString() => $"Linear(in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")})";

    /// <summary>
    /// The backward rules: given the input <paramref name="x"/> of the forward pass and the upstream gradient
    /// <paramref name="dy"/> (shaped like the output), returns <c>dx = dy·W</c> and the parameter gradients as a
    /// <see cref="Linear"/> of the same structure: <c>dW = Σ dyᵀ·x</c> and <c>db = Σ dy</c> over every leading axis.
    /// </summary>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">The gradient of the output.</param>
    public (Tensor Dx, Linear Gradient) Backward(Tensor x, Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(dy);
        var (dx, gradient) = Gradient(x, dy, LayerPath.Root, inputGradient: true);
        return (dx!, gradient);
    }

    /// <inheritdoc/>
    protected override Layer Rebuild(LayerParts parts) => new Linear(parts.Parameter("weight"), parts.OptionalParameter("bias"));

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        CheckInput(x, context.Path);
        return new Traced(Project(x, Weight, Bias), new LinearTrace(x, context.Donated), this);
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        // A trace made by hand holds the input alone; the forward's also holds the context's donation.
        if (trace is InputTrace given)
            return Gradient(given.Input, dy, trace.Path, inputGradient);
        var linear = Expect<LinearTrace>(trace);
        return Gradient(linear.Input, dy, trace.Path, inputGradient, linear.Donated);
    }

    private (Tensor? Dx, Linear Gradient) Gradient(Tensor x, Tensor dy, string path, bool inputGradient, DonatedArrays? donated = null)
    {
        CheckInput(x, path);
        var expected = x.Rank == 1 ? new Shape(OutFeatures) : x.Shape.WithLast(OutFeatures);
        if (dy.Shape != expected || dy.DType != x.DType)
            throw new ArgumentException($"{Describe(path)} backward expects dy {expected} ({x.DType.Name()}) for input {x.Shape} but got {dy.Shape} ({dy.DType.Name()}).", nameof(dy));
        var gradient = new Linear(Products.TransposeMultiply(dy, x, donated), Bias is null ? null : BiasGradient(dy));
        return (inputGradient ? InputGradient(dy, Weight) : null, gradient);
    }

    private void CheckInput(Tensor x, string path)
    {
        if (x.Rank == 0 || x.Shape.Last != InFeatures)
            throw new ArgumentException($"{Describe(path)} expects input [..., {InFeatures}] but got {x.Shape}.", nameof(x));
        if (x.DType != Weight.DType)
            throw new ArgumentException($"{Describe(path)} has {Weight.DType.Name()} parameters but got {x.DType.Name()} input {x.Shape}; convert one with To().", nameof(x));
    }

    private static (Tensor, Tensor?) DefaultParameters(Key key, int inFeatures, int outFeatures, bool bias, DType dtype)
    {
        if (inFeatures < 0 || outFeatures < 0)
            throw new ArgumentOutOfRangeException(inFeatures < 0 ? nameof(inFeatures) : nameof(outFeatures), $"Linear sizes must be non-negative but got in_features={inFeatures}, out_features={outFeatures}.");
        var (weightKey, biasKey) = key.Split();
        var weight = Init.KaimingUniform(weightKey, new Shape(outFeatures, inFeatures), a: Math.Sqrt(5), dtype: dtype);
        var bound = inFeatures > 0 ? 1 / Math.Sqrt(inFeatures) : 0;
        return (weight, bias ? Init.Uniform(biasKey, new Shape(outFeatures), -bound, bound, dtype) : null);
    }
}
