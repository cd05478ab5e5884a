using System.Collections.Immutable;
using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// What a layer's forward pass recorded for its backward pass: an explicit value handed back to
/// <see cref="Layer.Backward(Trace, Tensor)"/>, not a global tape. Each layer defines its own.
/// </summary>
public abstract record Trace
{
    /// <summary>The path of the layer whose forward made this trace, stamped by <see cref="Layer.Forward(Tensor, ForwardContext)"/>; backward errors name it.</summary>
    public string Path { get; init; } = LayerPath.Root;
}

/// <summary>The trace of a layer whose backward needs its input.</summary>
/// <param name="Input">The forward input.</param>
public sealed record InputTrace(Tensor Input) : Trace;

/// <summary>The trace of a linear layer: its input, and the arrays its pass may write the weight gradient into.</summary>
/// <param name="Input">The forward input.</param>
/// <param name="Donated">The forward context's donation, or null.</param>
internal sealed record LinearTrace(Tensor Input, DonatedArrays? Donated) : Trace;

/// <summary>The trace of an element-wise layer: its input and its output.</summary>
/// <param name="Input">The forward input.</param>
/// <param name="Output">The forward output.</param>
public sealed record ElementwiseTrace(Tensor Input, Tensor Output) : Trace;

/// <summary>The traces of a composite's children, in order.</summary>
/// <param name="Children">One trace per child run.</param>
public sealed record CompositeTrace(ImmutableArray<Trace> Children) : Trace;
