namespace Pipelines.Optim;

/// <summary>
/// Which way a monitored metric improves: one concept for early stopping, best checkpoints and
/// <see cref="Optimizers.ReduceOnPlateau"/>. <see cref="Auto"/> takes the direction from the metric itself (a loss or an
/// error goes down; accuracy, F1, ROC-AUC and R² go up), like Keras's <c>mode="auto"</c>. A NaN is never an improvement.
/// </summary>
public enum MonitorMode
{
    /// <summary>The direction the monitored metric declares.</summary>
    Auto,

    /// <summary>Lower is better (a loss), PyTorch's <c>mode='min'</c>.</summary>
    Min,

    /// <summary>Higher is better (an accuracy), PyTorch's <c>mode='max'</c>.</summary>
    Max,
}

/// <summary>How a <see cref="MonitorMode"/> compares values.</summary>
public static class MonitorModes
{
    /// <summary><paramref name="mode"/> itself, or <paramref name="metric"/>'s direction where it is <see cref="MonitorMode.Auto"/>.</summary>
    /// <param name="mode">The mode a policy was given.</param>
    /// <param name="metric">The direction the monitored metric declares (<see cref="MonitorMode.Min"/> or <see cref="MonitorMode.Max"/>).</param>
    public static MonitorMode Resolve(this MonitorMode mode, MonitorMode metric) => mode == MonitorMode.Auto ? metric : mode;

    /// <summary>Whether <paramref name="value"/> beats <paramref name="best"/> by more than <paramref name="margin"/>; never for a NaN value, always against a NaN best.</summary>
    /// <param name="mode">A resolved mode (not <see cref="MonitorMode.Auto"/>).</param>
    /// <param name="value">The new value.</param>
    /// <param name="best">The best value so far.</param>
    /// <param name="margin">How much better counts (0 for any).</param>
    public static bool Improves(this MonitorMode mode, double value, double best, double margin = 0) => mode switch
    {
        _ when double.IsNaN(value) => false,
        _ when double.IsNaN(best) => true,
        MonitorMode.Min => value < best - margin,
        MonitorMode.Max => value > best + margin,
        _ => throw new ArgumentException("MonitorMode.Auto must be resolved against the monitored metric's direction before values are compared.", nameof(mode)),
    };
}
