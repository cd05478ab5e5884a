using System.Globalization;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Layer normalisation over the last k axes, like <c>nn.LayerNorm(normalized_shape)</c>: each sample is normalised by
/// the mean and variance of its last k axes, then (with <c>elementwise_affine</c>) scaled and shifted by a weight and
/// bias of the normalised shape, starting at 1 and 0. Without affine parameters it has none, so no state-dict keys.
/// </summary>
public sealed record LayerNorm : Layer
{
    /// <summary>A layer normalising the last axis of size <paramref name="features"/>.</summary>
    /// <param name="features">The size of the last axis.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="elementwiseAffine">Whether the layer has a learnable weight and bias.</param>
    /// <param name="dtype">float32 or float64.</param>
    public LayerNorm(int features, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this(new Shape(features), eps, elementwiseAffine, dtype)
    {
    }

    /// <summary>A layer normalising the last axes, which must have <paramref name="normalizedShape"/>.</summary>
    /// <param name="normalizedShape">The shape of the trailing axes normalised together, like <c>normalized_shape</c>.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="elementwiseAffine">Whether the layer has a learnable weight and bias.</param>
    /// <param name="dtype">float32 or float64.</param>
    public LayerNorm(Shape normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this(normalizedShape, elementwiseAffine ? Tensor.Ones(normalizedShape, dtype) : null, elementwiseAffine ? Tensor.Zeros(normalizedShape, dtype) : null, eps)
    {
    }

    /// <summary>A layer from an existing weight and bias of the normalised shape (both, or neither for no affine parameters).</summary>
    /// <param name="normalizedShape">The shape of the trailing axes normalised together.</param>
    /// <param name="weight">γ, of the normalised shape, or null.</param>
    /// <param name="bias">β, of the normalised shape, or null.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    public LayerNorm(Shape normalizedShape, Tensor? weight, Tensor? bias, double eps = 1e-5)
    {
        if (normalizedShape.Rank == 0)
            throw new ArgumentException("LayerNorm needs a normalized shape of at least one axis.", nameof(normalizedShape));
        if ((weight is null) != (bias is null))
            throw new ArgumentException("LayerNorm needs both weight and bias (elementwise_affine) or neither.", nameof(weight));
        if (weight is not null && (weight.Shape != normalizedShape || bias!.Shape != normalizedShape || bias.DType != weight.DType || !weight.DType.IsFloatingPoint()))
            throw new ArgumentException($"LayerNorm needs weight and bias of the normalized shape {normalizedShape} and one float dtype but got {weight.Shape} ({weight.DType.Name()}) and {bias!.Shape} ({bias.DType.Name()}).", nameof(bias));
        if (!(eps > 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "LayerNorm needs eps > 0.");
        (NormalizedShape, Weight, Bias, Eps) = (normalizedShape, weight, bias, eps);
    }

    /// <summary>The shape of the trailing axes normalised together.</summary>
    public Shape NormalizedShape { get; }

    /// <summary>γ, of the normalised shape, or null without affine parameters.</summary>
    public Tensor? Weight { get; }

    /// <summary>β, of the normalised shape, or null without affine parameters.</summary>
    public Tensor? Bias { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has a learnable weight and bias.</summary>
    public bool ElementwiseAffine => Weight is not null;

    /// <inheritdoc/>
    public override LayerParts Parts => new() { Parameters = ElementwiseAffine ? [("weight", Weight!), ("bias", Bias!)] : [] };

    /// <summary>Prints as PyTorch does: <c>LayerNorm((4,), eps=1e-05, elementwise_affine=True)</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"LayerNorm(({string.Join(", ", NormalizedShape.Dims.ToArray())}{(NormalizedShape.Rank == 1 ? "," : string.Empty)}), eps={Eps:0.0####e+00}, elementwise_affine={(ElementwiseAffine ? "True" : "False")})");

    /// <inheritdoc/>
    protected override Layer Rebuild(LayerParts parts) => new LayerNorm(NormalizedShape, parts.OptionalParameter("weight"), parts.OptionalParameter("bias"), Eps);

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var k = NormalizedShape.Rank;
        if (x.Rank < k || !x.Shape.Dims[^k..].SequenceEqual(NormalizedShape.Dims) || (Weight is not null && x.DType != Weight.DType) || !x.DType.IsFloatingPoint())
            throw new ArgumentException($"{Describe(context.Path)} expects input [..., {string.Join(", ", NormalizedShape.Dims.ToArray())}]{(Weight is null ? string.Empty : $" ({Weight.DType.Name()})")} but got {x.Shape} ({x.DType.Name()}).", nameof(x));
        var rows = Rows(x);
        var centered = rows - rows.Mean(-1, keepDim: true);
        var inverse = Tensor.Ones(Shape.Scalar, x.DType) / ((centered * centered).Mean(-1, keepDim: true) + Eps).Sqrt();
        var xhat = centered * inverse;
        var y = Weight is null ? xhat : (xhat * Flat(Weight)) + Flat(Bias!);
        return new Traced(y.Reshape(x.Shape), new NormTrace(xhat, inverse, BatchStatistics: true), this);
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var saved = Expect<NormTrace>(trace);
        if (dy.Count != saved.Normalized.Count || dy.DType != saved.Normalized.DType)
            throw new ArgumentException($"{Describe(trace.Path)} backward expects dy with {saved.Normalized.Count} {saved.Normalized.DType.Name()} elements but got {dy.Shape} ({dy.DType.Name()}).", nameof(dy));
        var rows = Rows(dy);
        var gradient = Weight is null
            ? this
            : new LayerNorm(NormalizedShape, (rows * saved.Normalized).Sum(0).Reshape(NormalizedShape), rows.Sum(0).Reshape(NormalizedShape), Eps);
        if (!inputGradient)
            return (null, gradient);
        var dxhat = Weight is null ? rows : rows * Flat(Weight);
        var dx = saved.InvStd * (dxhat - dxhat.Mean(-1, keepDim: true) - (saved.Normalized * (dxhat * saved.Normalized).Mean(-1, keepDim: true)));
        return (dx.Reshape(dy.Shape), gradient);
    }

    /// <summary>The input as [rows, D], D being the normalised shape's element count.</summary>
    private Tensor Rows(Tensor x) => x.Reshape(new Shape(new Shape(x.Shape.Dims[..^NormalizedShape.Rank]).ElementCount, NormalizedShape.ElementCount));

    private static Tensor Flat(Tensor t) => t.Reshape(t.Count);
}
