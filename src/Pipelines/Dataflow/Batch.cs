using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>A batch the trainer takes one step on, and where in the data it came from.</summary>
/// <param name="Features">The examples' features stacked along a first axis: [count, ...].</param>
/// <param name="Targets">The examples' targets stacked the same way.</param>
/// <param name="Epoch">The epoch (from 0).</param>
/// <param name="Position">How many examples of the epoch came before this batch.</param>
/// <param name="IsLastOfEpoch">Whether the epoch ends with this batch.</param>
public sealed record Batch(Tensor Features, Tensor Targets, int Epoch, long Position, bool IsLastOfEpoch)
{
    /// <summary>Each row's index in the data source (in-memory row, or place in the stream), when the batch came from one.</summary>
    public IReadOnlyList<long>? Indices { get; init; }

    /// <summary>How many examples the batch holds.</summary>
    public int Count => Features.Shape.Rank == 0 ? 1 : Features.Shape[0];
}
