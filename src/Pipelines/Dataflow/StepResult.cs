using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>One training step's outcome: the new model and optimizer state, the batch's loss and the model's outputs for it.</summary>
/// <typeparam name="TModel">The model's type.</typeparam>
/// <param name="Model">The model after the step (buffers carried forward).</param>
/// <param name="State">The optimizer's next state.</param>
/// <param name="Loss">The batch's loss (micro-batches' losses weighted by their sizes).</param>
/// <param name="Output">The model's outputs for the batch, in the batch's order (for training metrics).</param>
public sealed record StepResult<TModel>(TModel Model, OptimizerState State, double Loss, Tensor Output);
