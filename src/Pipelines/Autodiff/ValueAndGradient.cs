using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Autodiff;

/// <summary>One training pass: the loss, its gradient shaped like the model, the model after the pass, and the model's output.</summary>
/// <typeparam name="TModel">The model's type; the gradient and the model after the pass have it too.</typeparam>
/// <param name="Value">The loss.</param>
/// <param name="Gradient">The gradient of the loss with respect to every parameter, as a value of the model's type.</param>
/// <param name="Model">
/// The model after the forward pass: the same parameters, with buffers such as BatchNorm's running statistics updated.
/// Continue from this one (<c>optimizer.Step(step, state)</c> does), or the buffers' updates are lost.
/// </param>
/// <param name="Output">The model's output for the batch (logits, say), for metrics without a second forward.</param>
public sealed record ValueAndGradient<TModel>(double Value, TModel Gradient, TModel Model, Tensor Output)
    where TModel : Layer;
