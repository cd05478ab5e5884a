using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>A part of a batch, its share of the batch's examples, and its rows' indices in the data (when known).</summary>
internal sealed record MicroBatch(Tensor Features, Tensor Targets, double Weight, IReadOnlyList<long>? Indices);
