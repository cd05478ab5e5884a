namespace Pipelines.Optim;

/// <summary>The settings of <see cref="Optimizers.ReduceOnPlateau"/>, PyTorch's <c>ReduceLROnPlateau</c> arguments.</summary>
/// <param name="Mode">Whether lower or higher is better; <see cref="MonitorMode.Auto"/> takes the direction the observer passes, lower when it passes none.</param>
/// <param name="Factor">The factor the rate is multiplied by on a plateau (below 1).</param>
/// <param name="Patience">How many observations without improvement are tolerated before reducing.</param>
/// <param name="Threshold">How much better counts as an improvement.</param>
/// <param name="ThresholdMode">Whether the threshold is relative or absolute.</param>
/// <param name="Cooldown">How many observations to wait after a reduction before counting again.</param>
/// <param name="MinimumScale">The smallest scale of the rate (PyTorch's <c>min_lr</c> divided by the base rate).</param>
/// <param name="Epsilon">Reductions smaller than this (in scale) are skipped, like <c>eps</c>.</param>
public sealed record PlateauSettings(MonitorMode Mode, double Factor, int Patience, double Threshold, ThresholdMode ThresholdMode, int Cooldown, double MinimumScale, double Epsilon);
