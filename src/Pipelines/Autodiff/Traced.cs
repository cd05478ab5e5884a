using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Autodiff;

/// <summary>
/// The result of a forward pass: the output, the trace its backward needs, and the layer as it is after the pass
/// (the same layer unless it keeps running state, as batch normalisation does in training).
/// </summary>
public sealed record Traced(Tensor Output, Trace Trace, Layer Next);
