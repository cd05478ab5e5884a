using Pipelines.Tensors;

namespace Pipelines.Losses;

/// <summary>A loss and its gradient with respect to the first input (shaped and typed like it).</summary>
public sealed record LossValue(double Value, Tensor Gradient);
