using Pipelines.Layers;

namespace Pipelines.Optim;

/// <summary>One update step: from gradients, the state and the current parameters, the updates to add and the next state.</summary>
public delegate (Layer Updates, OptimizerState State) UpdateFunction(Layer gradients, OptimizerState state, Layer parameters);

/// <summary>
/// An optimizer in the optax shape: a pure <see cref="Init"/> giving the first state for a model, and a pure
/// <see cref="Update"/>. Updates are added to the parameters with <c>Gradients.ApplyUpdates</c>; transformations
/// compose with <see cref="Optimizers.Chain"/>, whose unit is <see cref="Optimizers.Identity"/>.
/// </summary>
public sealed record GradientTransformation(Func<Layer, OptimizerState> Init, UpdateFunction Update);
