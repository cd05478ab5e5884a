using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// The result of a forward pass: the output, the trace its backward needs, and the layer as it is after the pass
/// (the same layer unless it keeps running state, as batch normalisation does in training).
/// </summary>
/// <param name="Output">The forward output.</param>
/// <param name="Trace">What the backward needs.</param>
/// <param name="Next">The layer after the pass, of the same type; carry it forward to keep buffers such as running statistics.</param>
public sealed record Traced(Tensor Output, Trace Trace, Layer Next);
