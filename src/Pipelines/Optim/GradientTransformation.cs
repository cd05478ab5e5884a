using Pipelines.Autodiff;
using Pipelines.Layers;

namespace Pipelines.Optim;

/// <summary>The first state of a transformation for some parameters.</summary>
/// <param name="parameters">The parameters the state will update, by name.</param>
public delegate OptimizerState InitFunction(NamedTensors parameters);

/// <summary>One step of a transformation: from gradients (or the previous transformation's updates), the state and the parameters, the updates and the next state.</summary>
/// <param name="gradients">The incoming gradients or updates, with the parameters' names.</param>
/// <param name="state">The state from <c>Init</c> or the previous step.</param>
/// <param name="parameters">The current parameters.</param>
public delegate (NamedTensors Updates, OptimizerState State) UpdateFunction(NamedTensors gradients, OptimizerState state, NamedTensors parameters);

/// <summary>A fused step: the new parameters themselves, equal bitwise to adding the updates of the same step.</summary>
/// <param name="gradients">The incoming gradients or updates, with the parameters' names.</param>
/// <param name="state">The state from <c>Init</c> or the previous step.</param>
/// <param name="parameters">The current parameters.</param>
public delegate (NamedTensors Parameters, OptimizerState State) ApplyFunction(NamedTensors gradients, OptimizerState state, NamedTensors parameters);

/// <summary>
/// An optimizer in the optax shape: a pure <see cref="Init(Layer)"/> giving the first state for a model, and a pure
/// <see cref="Update(NamedTensors, OptimizerState, NamedTensors)"/> turning gradients into updates. Transformations
/// compose with <see cref="Optimizers.Chain"/>, whose unit is <see cref="Optimizers.Identity"/>; <see cref="Step{TModel}(ValueAndGradient{TModel}, OptimizerState)"/>
/// is the whole training step's second half, through a fused path where a transformation has one.
/// </summary>
public sealed class GradientTransformation
{
    private readonly InitFunction _init;
    private readonly UpdateFunction _update;
    private readonly ApplyFunction? _apply;
    private readonly ApplyFunction? _applyOver;

    /// <summary>A transformation from its functions.</summary>
    /// <param name="init">The first state for some parameters.</param>
    /// <param name="update">One step.</param>
    /// <param name="apply">A fused step producing the new parameters, equal bitwise to adding <paramref name="update"/>'s updates; null to add them.</param>
    public GradientTransformation(InitFunction init, UpdateFunction update, ApplyFunction? apply = null)
        : this(init, update, apply, null)
    {
    }

    /// <summary>A transformation whose fused step may also write over the parameters and state it is given up.</summary>
    /// <param name="init">The first state for some parameters.</param>
    /// <param name="update">One step.</param>
    /// <param name="apply">The fused step.</param>
    /// <param name="applyOver">The fused step into the storage of the given parameters and state where they own it alone (else as <paramref name="apply"/>); null for none.</param>
    internal GradientTransformation(InitFunction init, UpdateFunction update, ApplyFunction? apply, ApplyFunction? applyOver)
    {
        ArgumentNullException.ThrowIfNull(init);
        ArgumentNullException.ThrowIfNull(update);
        (_init, _update, _apply, _applyOver) = (init, update, apply, applyOver);
    }

    /// <summary>
    /// The learning rate this transformation steps with, as a function of the step (the optimizers that have one, and a
    /// chain ending in one); null for a transformation without a rate. Step reports read it from here.
    /// </summary>
    public Schedule? LearningRate { get; internal init; }

    /// <summary>The first state for these parameters.</summary>
    /// <param name="parameters">The parameters the state will update.</param>
    public OptimizerState Init(NamedTensors parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return _init(parameters);
    }

    /// <summary>The first state for a model's parameters.</summary>
    /// <param name="model">The model.</param>
    public OptimizerState Init(Layer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Init(model.NamedParameters());
    }

    /// <summary>The updates to add to the parameters, and the next state. The gradients must have the parameters' names, shapes and dtypes.</summary>
    /// <param name="gradients">The gradients (or updates), by parameter name.</param>
    /// <param name="state">The state <see cref="Init(NamedTensors)"/> made for these parameters, or the previous step's.</param>
    /// <param name="parameters">The current parameters.</param>
    public (NamedTensors Updates, OptimizerState State) Update(NamedTensors gradients, OptimizerState state, NamedTensors parameters)
    {
        Check(gradients, state, parameters);
        return _update(gradients, state, parameters);
    }

    /// <summary>The updates for a model from a gradient of the model's structure, and the next state.</summary>
    /// <param name="gradient">The gradient, a layer of the model's structure.</param>
    /// <param name="state">The state for this model.</param>
    /// <param name="model">The model.</param>
    public (NamedTensors Updates, OptimizerState State) Update(Layer gradient, OptimizerState state, Layer model)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        ArgumentNullException.ThrowIfNull(model);
        return Update(gradient.NamedParameters(), state, model.NamedParameters());
    }

    /// <summary>The new parameters and the next state in one fused pass where the transformation has one; equal bitwise to adding <see cref="Update(NamedTensors, OptimizerState, NamedTensors)"/>'s updates.</summary>
    /// <param name="gradients">The gradients, by parameter name.</param>
    /// <param name="state">The state for these parameters.</param>
    /// <param name="parameters">The current parameters.</param>
    public (NamedTensors Parameters, OptimizerState State) Apply(NamedTensors gradients, OptimizerState state, NamedTensors parameters)
    {
        Check(gradients, state, parameters);
        if (_apply is not null)
            return _apply(gradients, state, parameters);
        var (updates, next) = _update(gradients, state, parameters);
        return (AddUpdates(parameters, updates), next);
    }

    /// <summary>
    /// The second half of a training step: the model after the pass (buffers carried forward) with the optimizer's step
    /// applied, and the next state. This is the obvious and the correct way to continue from <see cref="Gradients.ValueAndGrad"/>.
    /// </summary>
    /// <typeparam name="TModel">The model's type.</typeparam>
    /// <param name="step">The result of <see cref="Gradients.ValueAndGrad"/>.</param>
    /// <param name="state">The state for this model.</param>
    public (TModel Model, OptimizerState State) Step<TModel>(ValueAndGradient<TModel> step, OptimizerState state)
        where TModel : Layer
    {
        ArgumentNullException.ThrowIfNull(step);
        return Step(step.Model, step.Gradient, state);
    }

    /// <summary>The model with the optimizer's step for <paramref name="gradient"/> applied, and the next state. Parameters shared by several positions stay shared.</summary>
    /// <typeparam name="TModel">The model's type.</typeparam>
    /// <param name="model">The model (after the forward pass, to keep its buffers).</param>
    /// <param name="gradient">The gradient, a layer of the model's structure.</param>
    /// <param name="state">The state for this model.</param>
    public (TModel Model, OptimizerState State) Step<TModel>(TModel model, Layer gradient, OptimizerState state)
        where TModel : Layer => Step(model, gradient, state, giveUp: false);

    /// <summary>
    /// <see cref="Step{TModel}(TModel, Layer, OptimizerState)"/>; with <paramref name="giveUp"/>, the caller hands over the
    /// model's parameters and the state (nothing else may read them again), and a transformation that can writes the new
    /// parameters and state over their storage instead of allocating it: a training loop's step then allocates no
    /// parameter or moment memory, and the collector never copies a model's worth of survivors. The bits are the same.
    /// </summary>
    internal (TModel Model, OptimizerState State) Step<TModel>(TModel model, Layer gradient, OptimizerState state, bool giveUp)
        where TModel : Layer
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gradient);
        var parameters = model.NamedParameters();
        var gradients = gradient.NamedParameters();
        var (next, nextState) = giveUp ? ApplyOver(gradients, state, parameters) : Apply(gradients, state, parameters);
        var tied = Gradients.KeepTies(parameters, next);
        return ((TModel)model.MapParameters((name, _) => tied[name]), nextState);
    }

    /// <summary>
    /// <see cref="Apply"/> for a caller that gives up <paramref name="parameters"/> and <paramref name="state"/>: a
    /// transformation that can writes the results over their storage (and marks what it wrote over, so a stale read
    /// throws); one that cannot allocates as <see cref="Apply"/> does. The bits are the same either way.
    /// </summary>
    internal (NamedTensors Parameters, OptimizerState State) ApplyOver(NamedTensors gradients, OptimizerState state, NamedTensors parameters)
    {
        if (_applyOver is null)
            return Apply(gradients, state, parameters);
        Check(gradients, state, parameters);
        return _applyOver(gradients, state, parameters);
    }

    /// <summary>p + u for every parameter, leaving elements whose update is exactly zero bitwise unchanged (<see cref="Gradients.ApplyUpdates{TModel}(TModel, NamedTensors)"/> by name).</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="updates">The updates, with the parameters' names, shapes and dtypes.</param>
    public static NamedTensors AddUpdates(NamedTensors parameters, NamedTensors updates) => Gradients.AddUpdates(parameters, updates);

    private static void Check(NamedTensors gradients, OptimizerState state, NamedTensors parameters)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.StructureDifference(gradients) is { } difference)
            throw new ArgumentException($"The gradients do not fit the parameters (first: the parameters, second: the gradients): {difference}.", nameof(gradients));
    }

}
