using System.Collections.Immutable;
using System.Globalization;

namespace Pipelines.Optim;

/// <summary>The states of a chain's transformations, in order; saved under their positions (<c>0.</c>, <c>1.</c>, …).</summary>
/// <param name="States">One state per transformation.</param>
public sealed record ChainState(ImmutableArray<OptimizerState> States) : OptimizerState
{
    /// <inheritdoc/>
    public override OptimizerState Observe(double metric, MonitorMode direction = MonitorMode.Auto) => new ChainState([.. States.Select(s => s.Observe(metric, direction))]);

    /// <inheritdoc/>
    public override void Save(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        for (var i = 0; i < States.Length; i++)
            States[i].Save(writer.Child(i.ToString(CultureInfo.InvariantCulture)));
    }

    /// <inheritdoc/>
    public override OptimizerState Load(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new ChainState([.. States.Select((s, i) => s.Load(reader.Child(i.ToString(CultureInfo.InvariantCulture))))]);
    }
}
