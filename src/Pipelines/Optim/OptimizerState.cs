using Pipelines.Layers;

namespace Pipelines.Optim;

/// <summary>
/// An optimizer's state: a value, threaded through <see cref="GradientTransformation.Update(NamedTensors, OptimizerState, NamedTensors)"/>,
/// never mutated. A state saves itself to named tensors and restores itself from them (<see cref="OptimizerStates"/>);
/// a state that cannot says so by name rather than being skipped.
/// </summary>
public abstract record OptimizerState
{
    /// <summary>
    /// The state after a monitored metric was observed (a validation loss, say): states that react to metrics, such as
    /// <see cref="Optimizers.ReduceOnPlateau"/>'s, advance; all others are unchanged. Composite states pass it to their parts.
    /// </summary>
    /// <param name="metric">The metric's value.</param>
    /// <param name="direction">Which way the metric improves, for states whose own mode is <see cref="MonitorMode.Auto"/>.</param>
    public virtual OptimizerState Observe(double metric, MonitorMode direction = MonitorMode.Auto) => this;

    /// <summary>Writes this state's tensors; the default refuses, naming the state's type.</summary>
    /// <param name="writer">Where to write, scoped to this state's prefix.</param>
    public virtual void Save(StateWriter writer) =>
        throw new NotSupportedException($"{GetType().Name} cannot be saved: override {nameof(Save)} and {nameof(Load)} to make it checkpointable.");

    /// <summary>This state with its tensors read back; this state is the template (from <c>Init</c>) that gives names, shapes and dtypes.</summary>
    /// <param name="reader">Where to read, scoped to this state's prefix.</param>
    public virtual OptimizerState Load(StateReader reader) =>
        throw new NotSupportedException($"{GetType().Name} cannot be restored: override {nameof(Save)} and {nameof(Load)} to make it checkpointable.");

    /// <summary>Throws naming the first parameter that <paramref name="state"/>'s tensors do not fit (name, shape or dtype).</summary>
    /// <param name="optimizer">The transformation's name, for the message.</param>
    /// <param name="state">Tensors the state keeps per parameter.</param>
    /// <param name="parameters">The parameters being updated.</param>
    public static void RequireFits(string optimizer, NamedTensors state, NamedTensors parameters)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(parameters);
        if (state.StructureDifference(parameters) is { } difference)
            throw new ArgumentException($"The {optimizer} state does not fit the parameters it is asked to update (first: the state, second: the parameters): {difference}. Build the state with Init for this model.", nameof(state));
    }
}
