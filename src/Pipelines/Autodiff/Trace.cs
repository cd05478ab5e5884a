using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.Autodiff;

/// <summary>
/// What a layer's forward pass recorded for its backward pass: an explicit value handed back to
/// <c>Backward</c>, not a global tape. Each layer defines its own.
/// </summary>
public abstract record Trace;

/// <summary>The trace of a layer whose backward needs its input.</summary>
public sealed record InputTrace(Tensor Input) : Trace;

/// <summary>The trace of an element-wise layer: its input and its output.</summary>
public sealed record ElementwiseTrace(Tensor Input, Tensor Output) : Trace;

/// <summary>The traces of a composite's children, in order.</summary>
public sealed record CompositeTrace(ImmutableArray<Trace> Children) : Trace;
