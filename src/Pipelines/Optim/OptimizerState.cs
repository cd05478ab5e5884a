using System.Collections.Immutable;
using Pipelines.Layers;

namespace Pipelines.Optim;

/// <summary>An optimizer's state: a value, threaded through <see cref="GradientTransformation.Update"/>, never mutated.</summary>
public abstract record OptimizerState;

/// <summary>The state of a transformation that keeps none.</summary>
public sealed record EmptyState : OptimizerState
{
    /// <summary>The one empty state.</summary>
    public static EmptyState Instance { get; } = new();
}

/// <summary>The step count of a schedule.</summary>
public sealed record StepState(int Step) : OptimizerState;

/// <summary>SGD's momentum buffer, shaped like the model; none until the first step, as in PyTorch.</summary>
public sealed record MomentumState(Layer? Velocity) : OptimizerState;

/// <summary>Adam's step count and first and second moments, shaped like the model.</summary>
public sealed record AdamState(int Step, Layer FirstMoment, Layer SecondMoment) : OptimizerState;

/// <summary>The states of a chain's transformations, in order.</summary>
public sealed record ChainState(ImmutableArray<OptimizerState> States) : OptimizerState;
