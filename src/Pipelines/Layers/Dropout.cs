using System.Globalization;
using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Zeroes each element with probability <see cref="P"/> in training and scales the rest by 1/(1 − p), like
/// <c>nn.Dropout</c>; the identity in evaluation. The mask comes from the context's <see cref="ForwardContext.LayerKey"/>,
/// so two dropout layers never share a mask and the same context always gives the same mask.
/// </summary>
public sealed record Dropout : Layer
{
    /// <summary>A dropout layer; p must lie in [0, 1] (p = 1 drops everything, as in PyTorch).</summary>
    /// <param name="p">The probability of zeroing an element.</param>
    public Dropout(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout p must lie in [0, 1] but got {p}.");
        P = p;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>Prints as PyTorch does: <c>Dropout(p=0.5, inplace=False)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Dropout(p={P}, inplace=False)");

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        if (context.Mode == Mode.Eval || P == 0)
            return new Traced(x, new MaskTrace(null, x), this);
        if (!x.DType.IsFloatingPoint())
            throw new ArgumentException($"{Describe(context.Path)} needs float input but got {x.DType.Name()} {x.Shape}.", nameof(x));
        var mask = DropoutMask.Create(context.LayerKey, x.Shape, P, x.DType);
        return new Traced(x * mask, new MaskTrace(mask, x), this);
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var saved = Expect<MaskTrace>(trace);
        ExpectGradient(saved.Input, dy, trace);
        return (inputGradient ? saved.Mask is null ? dy : dy * saved.Mask : null, this);
    }
}
