using Pipelines.Optim;

namespace Pipelines.Dataflow;

/// <summary>
/// Stop when a monitored validation metric has not improved by more than <paramref name="MinDelta"/> for
/// <paramref name="Patience"/> evaluations (Keras's EarlyStopping; Lightning's with its defaults). A pure function of
/// the metric's history, so a run's decisions can be replayed and audited. A NaN evaluation is never the best one.
/// </summary>
/// <param name="Monitor">The validation metric's name.</param>
/// <param name="Patience">Evaluations without improvement before stopping.</param>
/// <param name="MinDelta">The least change that counts as an improvement.</param>
/// <param name="Mode">Whether the metric improves downwards or upwards; <see cref="MonitorMode.Auto"/> takes the metric's own direction.</param>
/// <param name="RestoreBest">Whether the run's result is the model of the best evaluation rather than the last.</param>
public sealed record EarlyStopping(string Monitor = "loss", int Patience = 5, double MinDelta = 0, MonitorMode Mode = MonitorMode.Auto, bool RestoreBest = true)
{
    /// <summary>
    /// Whether to stop after the last value of <paramref name="history"/>, and the index of the best value so far (−1
    /// while every value is NaN).
    /// </summary>
    /// <param name="history">The monitored metric at each evaluation, in order.</param>
    /// <param name="metric">
    /// The monitored metric's direction, used where <see cref="Mode"/> is <see cref="MonitorMode.Auto"/>; left at Auto, the
    /// library's own metrics are known by name.
    /// </param>
    public (bool Stop, int Best) Decide(IReadOnlyList<double> history, MonitorMode metric = MonitorMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(history);
        var mode = Metric.Resolve(Mode.Resolve(metric), Monitor, nameof(EarlyStopping));
        var best = -1;
        for (var i = 0; i < history.Count; i++)
        {
            if (!double.IsNaN(history[i]) && (best < 0 || mode.Improves(history[i], history[best], MinDelta)))
                best = i;
        }
        // While nothing measured is best, patience counts from the first evaluation.
        return (history.Count - 1 - Math.Max(best, 0) >= Patience && history.Count > 0, best);
    }
}
