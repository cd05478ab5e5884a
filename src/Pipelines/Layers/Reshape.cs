using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Reshapes every sample: the leading (batch) axis stays, the rest becomes <see cref="SampleShape"/> (one extent may
/// be −1, inferred as PyTorch infers it). <see cref="Flatten"/> is the common case. Free: a reshape shares storage.
/// </summary>
public sealed record Reshape : Layer
{
    /// <summary>A layer reshaping each sample to <paramref name="sampleShape"/>.</summary>
    /// <param name="sampleShape">The extents of each sample after the layer; one may be −1.</param>
    public Reshape(params int[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        SampleShape = [.. sampleShape];
    }

    /// <summary>The shape of each sample after the layer.</summary>
    public IReadOnlyList<int> SampleShape { get; }

    /// <summary>Describes the target shape.</summary>
    public override string ToString() => $"Reshape({string.Join(", ", SampleShape)})";

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        if (x.Rank == 0)
            throw new ArgumentException($"{Describe(context.Path)} expects input with a batch axis but got a scalar.", nameof(x));
        try
        {
            return new Traced(x.Reshape([x.Shape[0], .. SampleShape]), new InputTrace(x), this);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Describe(context.Path)}: {e.Message}", nameof(x), e);
        }
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var input = Expect<InputTrace>(trace).Input;
        if (dy.Count != input.Count)
            throw new ArgumentException($"{Describe(trace.Path)} backward expects dy with {input.Count} elements but got {dy.Shape}.", nameof(dy));
        return (inputGradient ? dy.Reshape(input.Shape) : null, this);
    }
}
