using System.Collections.Immutable;

namespace Pipelines.Optim;

/// <summary>The states of a multi-transform's groups by label; each holds state only for its own group's parameters.</summary>
/// <param name="Groups">One state per group label.</param>
public sealed record GroupState(ImmutableArray<(string Label, OptimizerState State)> Groups) : OptimizerState
{
    /// <summary>The state of the group <paramref name="label"/>.</summary>
    /// <param name="label">The group's label.</param>
    public OptimizerState this[string label] => Groups.FirstOrDefault(g => g.Label == label).State
        ?? throw new KeyNotFoundException($"There is no group '{label}'; the groups are {string.Join(", ", Groups.Select(g => g.Label))}.");

    /// <inheritdoc/>
    public override OptimizerState Observe(double metric, MonitorMode direction = MonitorMode.Auto) => new GroupState([.. Groups.Select(g => (g.Label, g.State.Observe(metric, direction)))]);

    /// <inheritdoc/>
    public override void Save(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var (label, state) in Groups)
            state.Save(writer.Child(label));
    }

    /// <inheritdoc/>
    public override OptimizerState Load(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new GroupState([.. Groups.Select(g => (g.Label, g.State.Load(reader.Child(g.Label))))]);
    }
}
