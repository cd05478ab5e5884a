using Pipelines.Optim;

namespace Pipelines.Dataflow;

/// <summary>
/// Where and when the trainer writes checkpoints: <c>last.safetensors</c> every <paramref name="EverySteps"/> steps and
/// at the end, and, with a monitor, the <paramref name="KeepBest"/> best evaluations as <c>best-step{N}.safetensors</c>.
/// Each write is atomic. Which best checkpoints to keep is a pure function of the evaluations; NaN evaluations are never kept.
/// </summary>
/// <param name="Directory">The folder (created if missing).</param>
/// <param name="EverySteps">Steps between checkpoints; 0 for only at the end.</param>
/// <param name="Monitor">The validation metric that ranks best checkpoints, or null for none.</param>
/// <param name="KeepBest">How many best checkpoints to keep.</param>
/// <param name="Mode">Whether the monitored metric improves downwards or upwards; <see cref="MonitorMode.Auto"/> takes the metric's own direction.</param>
public sealed record CheckpointPolicy(string Directory, int EverySteps = 0, string? Monitor = null, int KeepBest = 1, MonitorMode Mode = MonitorMode.Auto)
{
    /// <summary>The file the latest checkpoint is written to.</summary>
    public string LastPath => Path.Combine(Directory, "last.safetensors");

    /// <summary>The file of the best checkpoint taken at <paramref name="step"/>.</summary>
    /// <param name="step">The step it was taken after.</param>
    public string BestPath(long step) => Path.Combine(Directory, $"best-step{step}.safetensors");

    /// <summary>The steps whose checkpoints are the <see cref="KeepBest"/> best by the monitored values (ties: the earlier).</summary>
    /// <param name="evaluations">(step, monitored value) of every evaluation, in order.</param>
    /// <param name="metric">The monitored metric's direction, used where <see cref="Mode"/> is Auto (as for <see cref="EarlyStopping.Decide(IReadOnlyList{double}, MonitorMode)"/>).</param>
    public IReadOnlyList<long> Best(IReadOnlyList<(long Step, double Value)> evaluations, MonitorMode metric = MonitorMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        var mode = Metric.Resolve(Mode.Resolve(metric), Monitor ?? "loss", nameof(CheckpointPolicy));
        var measured = evaluations.Where(e => !double.IsNaN(e.Value));
        var ranked = mode == MonitorMode.Min ? measured.OrderBy(e => e.Value) : measured.OrderByDescending(e => e.Value);
        return [.. ranked.ThenBy(e => e.Step).Take(KeepBest).Select(e => e.Step)];
    }
}
