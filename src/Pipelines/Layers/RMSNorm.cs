using System.Globalization;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Root-mean-square normalisation over the last k axes, like <c>nn.RMSNorm(normalized_shape)</c> (PyTorch 2.4):
/// <c>x / √(mean(x²) + ε) · weight</c>, the mean over the normalised axes, ε the input dtype's machine epsilon unless
/// given, the weight (with <c>elementwise_affine</c>) of the normalised shape starting at 1. Written forward-only.
/// </summary>
public sealed partial record RMSNorm : DerivedLayer
{
    /// <summary>A layer normalising the last axis of size <paramref name="features"/>.</summary>
    /// <param name="features">The size of the last axis.</param>
    /// <param name="eps">Added to the mean square; null for the input dtype's machine epsilon, as PyTorch.</param>
    /// <param name="elementwiseAffine">Whether the layer has a learnable weight.</param>
    /// <param name="dtype">float32 or float64.</param>
    public RMSNorm(int features, double? eps = null, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this(new Shape(features), elementwiseAffine ? Tensor.Ones(new Shape(features), dtype) : null, eps)
    {
    }

    /// <summary>A layer normalising the trailing axes of <paramref name="normalizedShape"/>, with an existing weight of that shape or none.</summary>
    /// <param name="normalizedShape">The shape of the trailing axes normalised together.</param>
    /// <param name="weight">The weight, of the normalised shape, or null for none.</param>
    /// <param name="eps">Added to the mean square; null for the input dtype's machine epsilon.</param>
    public RMSNorm(Shape normalizedShape, Tensor? weight, double? eps = null)
    {
        if (normalizedShape.Rank == 0)
            throw new ArgumentException("RMSNorm needs a normalized shape of at least one axis.", nameof(normalizedShape));
        if (weight is not null && (weight.Shape != normalizedShape || !weight.DType.IsFloatingPoint()))
            throw new ArgumentException($"RMSNorm needs a float weight of the normalized shape {normalizedShape} but got {weight.Shape} ({weight.DType.Name()}).", nameof(weight));
        if (eps is { } e && !(e >= 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "RMSNorm needs eps >= 0.");
        (NormalizedShape, Weight, Eps) = (normalizedShape, weight, eps);
    }

    /// <summary>The shape of the trailing axes normalised together.</summary>
    public Shape NormalizedShape { get; }

    /// <summary>The weight, of the normalised shape, or null without affine parameters.</summary>
    public Tensor? Weight { get; init; }

    /// <summary>Added to the mean square; null for the input dtype's machine epsilon.</summary>
    public double? Eps { get; }

    /// <summary>Prints as PyTorch does: <c>RMSNorm((4,), eps=None, elementwise_affine=True)</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"RMSNorm(({string.Join(", ", NormalizedShape.Dims.ToArray())}{(NormalizedShape.Rank == 1 ? "," : string.Empty)}), eps={(Eps is { } e ? e.ToString("0.0####e+00", CultureInfo.InvariantCulture) : "None")}, elementwise_affine={(Weight is null ? "False" : "True")})");

    /// <inheritdoc/>
    protected override Variable Forward(Variable x, Tape tape)
    {
        var k = NormalizedShape.Rank;
        if (x.Rank < k || !x.Shape.Dims[^k..].SequenceEqual(NormalizedShape.Dims))
            throw new ArgumentException($"{Describe(tape.Path)} expects input [..., {string.Join(", ", NormalizedShape.Dims.ToArray())}] but got {x.Shape}.", nameof(x));
        var eps = Eps ?? (x.DType == DType.Float32 ? MachineEpsilon.Float32 : MachineEpsilon.Float64);
        var rows = x.Reshape([.. x.Shape.Dims[..^k], NormalizedShape.ElementCount]);
        var normed = (rows / ((rows * rows).Mean(-1, keepDim: true) + eps).Sqrt()).Reshape(x.Shape);
        return Weight is null ? normed : normed * tape.Parameter(Weight);
    }

    /// <summary>torch.finfo(dtype).eps: the gap between 1 and the next larger number.</summary>
    private static class MachineEpsilon
    {
        public const double Float32 = 1.1920928955078125e-07;
        public const double Float64 = 2.220446049250313e-16;
    }
}
