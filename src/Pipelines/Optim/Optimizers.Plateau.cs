
namespace Pipelines.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Scales the updates by a factor that drops when a monitored metric stops improving, as PyTorch's
    /// <c>ReduceLROnPlateau</c> drops the learning rate: place it last, after the optimizer, and feed it the metric with
    /// <c>state = state.Observe(metric)</c> after each evaluation (the dataflow trainer does). The minimum is a scale of
    /// the rate (PyTorch's <c>min_lr</c> / lr).
    /// </summary>
    /// <param name="factor">The factor the rate is multiplied by on a plateau (below 1).</param>
    /// <param name="patience">Observations without improvement tolerated before reducing.</param>
    /// <param name="threshold">How much better counts as an improvement.</param>
    /// <param name="thresholdMode">Relative or absolute threshold.</param>
    /// <param name="cooldown">Observations to wait after a reduction.</param>
    /// <param name="minimumScale">The smallest scale of the rate.</param>
    /// <param name="mode">Whether lower or higher is better; Auto (the default) takes the direction of the metric the trainer monitors, and lower when a caller of <c>Observe</c> passes none (PyTorch's default).</param>
    /// <param name="epsilon">Reductions smaller than this (in scale) are skipped.</param>
    public static GradientTransformation ReduceOnPlateau(double factor = 0.1, int patience = 10, double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Relative, int cooldown = 0, double minimumScale = 0, MonitorMode mode = MonitorMode.Auto, double epsilon = 1e-8)
    {
        if (!(factor < 1 && factor >= 0) || patience < 0 || cooldown < 0 || !(minimumScale >= 0) || !(threshold >= 0))
            throw new ArgumentException($"ReduceOnPlateau needs 0 <= factor < 1, patience >= 0, cooldown >= 0, threshold >= 0 and minimum scale >= 0; got factor={factor}, patience={patience}, cooldown={cooldown}, threshold={threshold}, minimum scale={minimumScale}.");
        var settings = new PlateauSettings(mode, factor, patience, threshold, thresholdMode, cooldown, minimumScale, epsilon);
        return new(
            _ => new PlateauState(settings, 1, double.NaN, 0, 0),
            (gradients, state, _) =>
            {
                var scale = Expect<PlateauState>(state, "ReduceOnPlateau").Scale;
                return (scale == 1 ? gradients : gradients.Map((_, g) => g * scale), state);
            });
    }
}
