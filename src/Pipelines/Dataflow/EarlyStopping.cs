namespace Pipelines.Dataflow;

/// <summary>
/// Stop when a monitored validation metric has not improved by more than <paramref name="MinDelta"/> for
/// <paramref name="Patience"/> evaluations (Keras's EarlyStopping; Lightning's with its defaults). A pure function of
/// the metric's history, so a run's decisions can be replayed and audited.
/// </summary>
/// <param name="Monitor">The validation metric's name.</param>
/// <param name="Patience">Evaluations without improvement before stopping.</param>
/// <param name="MinDelta">The least change that counts as an improvement.</param>
/// <param name="Mode">Whether the metric improves downwards or upwards.</param>
/// <param name="RestoreBest">Whether the run's result is the model of the best evaluation rather than the last.</param>
public sealed record EarlyStopping(string Monitor = "loss", int Patience = 5, double MinDelta = 0, MonitorMode Mode = MonitorMode.Min, bool RestoreBest = true)
{
    /// <summary>Whether to stop after the last value of <paramref name="history"/>, and the index of the best value so far (−1 before any).</summary>
    /// <param name="history">The monitored metric at each evaluation, in order.</param>
    public (bool Stop, int Best) Decide(IReadOnlyList<double> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var best = -1;
        for (var i = 0; i < history.Count; i++)
        {
            if (best < 0 || Improves(history[i], history[best]))
                best = i;
        }
        return (best >= 0 && history.Count - 1 - best >= Patience, best);
    }

    private bool Improves(double value, double best) =>
        !double.IsNaN(value) && (Mode == MonitorMode.Min ? value < best - MinDelta : value > best + MinDelta);
}
