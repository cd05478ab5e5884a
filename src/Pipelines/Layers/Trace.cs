using System.Collections.Immutable;
using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// What a layer's forward pass recorded for its backward pass: an explicit value handed back to
/// <see cref="Layer.Backward(Trace, Tensor)"/>, not a global tape. The library's layers' records are all in this file;
/// a user's layer defines its own.
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

/// <summary>The trace of a normalisation: the normalised input, 1/√(var + eps), and whether batch statistics were used.</summary>
/// <param name="Normalized">x̂, the normalised input.</param>
/// <param name="InvStd">1/√(var + eps) per channel (batch norm) or per row (layer norm, shaped to broadcast).</param>
/// <param name="BatchStatistics">Whether the statistics came from the input itself (so the backward differentiates through them).</param>
public sealed record NormTrace(Tensor Normalized, Tensor InvStd, bool BatchStatistics) : Trace;

/// <summary>The trace of <see cref="Branches"/>: each branch's trace and the width of its output along the last axis.</summary>
/// <param name="Children">One trace per branch.</param>
/// <param name="Widths">Each branch's output width along the last axis.</param>
public sealed record BranchesTrace(ImmutableArray<Trace> Children, ImmutableArray<int> Widths) : Trace;

/// <summary>Dropout's trace: the scaled keep-mask (none in evaluation) and the input, for its shape.</summary>
/// <param name="Mask">The mask the output was multiplied by, or null when nothing was dropped.</param>
/// <param name="Input">The forward input.</param>
public sealed record MaskTrace(Tensor? Mask, Tensor Input) : Trace;
