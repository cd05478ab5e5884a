
namespace Pipelines.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Scales gradients so their global norm is at most <paramref name="maxNorm"/>, as <c>clip_grad_norm_</c>
    /// (by max_norm / (norm + 1e-6), never above 1; the norm accumulated in double).
    /// </summary>
    /// <param name="maxNorm">The largest global norm let through.</param>
    public static GradientTransformation ClipByGlobalNorm(double maxNorm)
    {
        if (!(maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Clipping needs max_norm > 0.");
        return new(
            _ => EmptyState.Instance,
            (gradients, state, _) =>
            {
                var coefficient = Clip.Coefficient(Clip.GlobalNorm(gradients), maxNorm);
                return (coefficient < 1 ? gradients.Map((_, g) => g * coefficient) : gradients, state);
            });
    }

    /// <summary>Clamps every gradient element to [−clip, clip], as <c>clip_grad_value_</c>.</summary>
    /// <param name="clip">The bound.</param>
    public static GradientTransformation ClipByValue(double clip)
    {
        if (!(clip >= 0))
            throw new ArgumentOutOfRangeException(nameof(clip), clip, "Clipping needs a value >= 0.");
        return new(_ => EmptyState.Instance, (gradients, state, _) => (gradients.Map((_, g) => Clip.Clamp(g, clip)), state));
    }
}
