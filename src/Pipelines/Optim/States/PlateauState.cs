namespace Pipelines.Optim;

/// <summary>
/// The state of <see cref="Optimizers.ReduceOnPlateau"/>: the current scale of the updates, the best metric so far, how
/// many observations have not improved on it, and the cooldown left; advanced only by <see cref="Observe"/>.
/// </summary>
/// <param name="Settings">The transformation's settings (not saved: they come from the template).</param>
/// <param name="Scale">The factor updates are multiplied by (1 until the first reduction).</param>
/// <param name="Best">The best metric observed (NaN before any).</param>
/// <param name="BadObservations">Observations since the last improvement.</param>
/// <param name="CooldownLeft">Observations left before bad ones count again.</param>
public sealed record PlateauState(PlateauSettings Settings, double Scale, double Best, int BadObservations, int CooldownLeft) : OptimizerState
{
    /// <summary>PyTorch's <c>ReduceLROnPlateau.step(metric)</c>; a NaN metric is never an improvement.</summary>
    /// <param name="metric">The monitored metric's new value.</param>
    /// <param name="direction">The metric's own direction, used where the settings' mode is Auto.</param>
    public override OptimizerState Observe(double metric, MonitorMode direction = MonitorMode.Auto)
    {
        var (best, bad, cooldown, scale) = IsBetter(metric, Settings.Mode.Resolve(direction).Resolve(MonitorMode.Min)) ? (metric, 0, CooldownLeft, Scale) : (Best, BadObservations + 1, CooldownLeft, Scale);
        if (cooldown > 0)
            (cooldown, bad) = (cooldown - 1, 0);
        if (bad > Settings.Patience)
        {
            var reduced = Math.Max(scale * Settings.Factor, Settings.MinimumScale);
            if (scale - reduced > Settings.Epsilon)
                scale = reduced;
            (cooldown, bad) = (Settings.Cooldown, 0);
        }
        return this with { Best = best, BadObservations = bad, CooldownLeft = cooldown, Scale = scale };
    }

    /// <inheritdoc/>
    public override void Save(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("scale", Scale);
        writer.Write("best", Best);
        writer.Write("num_bad_epochs", (long)BadObservations);
        writer.Write("cooldown_counter", (long)CooldownLeft);
    }

    /// <inheritdoc/>
    public override OptimizerState Load(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return this with
        {
            Scale = reader.ReadNumber("scale"),
            Best = reader.ReadNumber("best"),
            BadObservations = checked((int)reader.ReadCount("num_bad_epochs")),
            CooldownLeft = checked((int)reader.ReadCount("cooldown_counter")),
        };
    }

    private bool IsBetter(double metric, MonitorMode mode) => (mode, Settings.ThresholdMode) switch
    {
        _ when double.IsNaN(metric) => false,
        _ when double.IsNaN(Best) => true,
        (MonitorMode.Min, ThresholdMode.Relative) => metric < Best * (1 - Settings.Threshold),
        (MonitorMode.Min, ThresholdMode.Absolute) => metric < Best - Settings.Threshold,
        (MonitorMode.Max, ThresholdMode.Relative) => metric > Best * (1 + Settings.Threshold),
        _ => metric > Best + Settings.Threshold,
    };
}
