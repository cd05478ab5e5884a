using System.Globalization;
using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Zeroes each element with probability <see cref="P"/> in training and scales the rest by 1/(1 − p), like
/// <c>nn.Dropout</c>; the identity in evaluation. The mask comes from the context's key folded with the layer's path.
/// </summary>
public sealed record Dropout : Layer
{
    /// <summary>A dropout layer; p must lie in [0, 1).</summary>
    public Dropout(double p = 0.5)
    {
        if (!(p >= 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout p must lie in [0, 1) but got {p}.");
        P = p;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>Prints as PyTorch does: <c>Dropout(p=0.5, inplace=False)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Dropout(p={P}, inplace=False)");

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        if (context.Mode == Mode.Eval || P == 0)
            return new Traced(x, new MaskTrace(null, x), this);
        var keep = 1 - P;
        var mask = Tensor.Uniform(context.KeyFor(path), x.Shape, dtype: x.DType).Map(new KeepScaled(P, 1 / keep));
        return new Traced(x * mask, new MaskTrace(mask, x), this);
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var saved = Expect<MaskTrace>(trace, "Dropout", path);
        ExpectGradient(saved.Input, dy, "Dropout", path);
        return (saved.Mask is null ? dy : dy * saved.Mask, this);
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) => [];

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) => this;

    private readonly record struct KeepScaled(double P, double Scale) : IScalarFunction
    {
        public double Invoke(double u) => u >= P ? Scale : 0;
    }
}

/// <summary>Dropout's trace: the scaled keep-mask (none in evaluation) and the input, for its shape.</summary>
public sealed record MaskTrace(Tensor? Mask, Tensor Input) : Trace;
