using System.Globalization;
using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>Layer normalisation over the last axis, like <c>nn.LayerNorm(normalized_shape=D)</c>, with weight 1 and bias 0 to start.</summary>
public sealed record LayerNorm : Layer
{
    /// <summary>A layer normalising the last axis of size <paramref name="features"/>.</summary>
    public LayerNorm(int features, double eps = 1e-5, DType dtype = DType.Float32)
        : this(Tensor.Ones(new Shape(features), dtype), Tensor.Zeros(new Shape(features), dtype), eps)
    {
    }

    /// <summary>A layer from an existing weight and bias, each [D].</summary>
    public LayerNorm(Tensor weight, Tensor bias, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        if (weight.Rank != 1 || bias.Shape != weight.Shape || bias.DType != weight.DType)
            throw new ArgumentException($"LayerNorm needs weight and bias of one shape [D] but got {weight.Shape} and {bias.Shape}.", nameof(bias));
        if (!(eps > 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "LayerNorm needs eps > 0.");
        (Weight, Bias, Eps) = (weight, bias, eps);
    }

    /// <summary>γ, [D].</summary>
    public Tensor Weight { get; }

    /// <summary>β, [D].</summary>
    public Tensor Bias { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Prints as PyTorch does.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"LayerNorm(({Weight.Shape[0]},), eps={Eps:0.0####e+00}, elementwise_affine=True)");

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        if (x.Rank == 0 || x.Shape.Last != Weight.Shape[0] || x.DType != Weight.DType)
            throw new ArgumentException($"{LayerPath.Describe("LayerNorm", path)} expects input [..., {Weight.Shape[0]}] ({Weight.DType.Name()}) but got {x.Shape} ({x.DType.Name()}).", nameof(x));
        var centered = x - x.Mean(-1, keepDim: true);
        var inverse = Tensor.Ones(Shape.Scalar, x.DType) / ((centered * centered).Mean(-1, keepDim: true) + Eps).Sqrt();
        var xhat = centered * inverse;
        return new Traced((xhat * Weight) + Bias, new NormTrace(xhat, inverse, Training: true), this);
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var saved = Expect<NormTrace>(trace, "LayerNorm", path);
        ExpectGradient(saved.Normalized, dy, "LayerNorm", path);
        var rows = dy.Reshape(dy.Shape.LeadingCount, dy.Shape.Last);
        var gradient = new LayerNorm((rows * saved.Normalized.Reshape(rows.Shape)).Sum(0), rows.Sum(0), Eps);
        var dxhat = dy * Weight;
        var dx = saved.InvStd * (dxhat - dxhat.Mean(-1, keepDim: true) - (saved.Normalized * (dxhat * saved.Normalized).Mean(-1, keepDim: true)));
        return (dx, gradient);
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) =>
        [new(LayerPath.Join(prefix, "weight"), Weight), new(LayerPath.Join(prefix, "bias"), Bias)];

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) =>
        new LayerNorm(map(LayerPath.Join(prefix, "weight"), Weight), map(LayerPath.Join(prefix, "bias"), Bias), Eps);
}
