using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Reshapes every sample: the leading (batch) axis stays, the rest becomes <see cref="SampleShape"/> (one extent may
/// be −1). <see cref="Flatten"/> is the common case. Free: a reshape shares storage.
/// </summary>
public record Reshape : Layer
{
    /// <summary>A layer reshaping each sample to <paramref name="sampleShape"/>.</summary>
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
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        if (x.Rank == 0)
            throw new ArgumentException($"{LayerPath.Describe(GetType().Name, path)} expects input with a batch axis but got a scalar.", nameof(x));
        try
        {
            return new Traced(x.Reshape([x.Shape[0], .. SampleShape]), new InputTrace(x), this);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{LayerPath.Describe(GetType().Name, path)}: {e.Message}", nameof(x), e);
        }
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var input = Expect<InputTrace>(trace, GetType().Name, path).Input;
        if (dy.Count != input.Count)
            throw new ArgumentException($"{LayerPath.Describe(GetType().Name, path)} backward expects dy with {input.Count} elements but got {dy.Shape}.", nameof(dy));
        return (dy.Reshape(input.Shape), this);
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) => [];

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) => this;
}

/// <summary>Flattens every sample to one axis, like <c>nn.Flatten()</c>: [N, ...] becomes [N, product].</summary>
public sealed record Flatten() : Reshape(-1)
{
    /// <summary>Prints as PyTorch does.</summary>
    public override string ToString() => "Flatten(start_dim=1, end_dim=-1)";
}
