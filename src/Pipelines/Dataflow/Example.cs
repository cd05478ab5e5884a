using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>One example: its features and its target, without a batch axis (a class index is an int64 scalar).</summary>
/// <param name="Features">The features, e.g. [64] for an 8×8 image.</param>
/// <param name="Target">The target: an int64 scalar class index, or a float tensor for regression.</param>
public sealed record Example(Tensor Features, Tensor Target);
