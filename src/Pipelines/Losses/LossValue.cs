using Pipelines.Tensors;

namespace Pipelines.Losses;

/// <summary>A loss and its gradient with respect to the first input (shaped and typed like it).</summary>
/// <param name="Value">The loss, reduced to one number.</param>
/// <param name="Gradient">Its gradient with respect to the loss's first input, shaped and typed like it.</param>
public sealed record LossValue(double Value, Tensor Gradient);
