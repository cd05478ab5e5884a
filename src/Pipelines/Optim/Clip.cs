using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

/// <summary>Gradient clipping as functions on gradient values, like <c>torch.nn.utils</c>.</summary>
public static class Clip
{
    /// <summary>
    /// Like <c>clip_grad_norm_</c>: the total norm of all gradients, and the gradients times
    /// min(1, max_norm / (total + 1e-6)).
    /// </summary>
    public static (Layer Clipped, double TotalNorm) GradNorm(Layer gradients, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (!(maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Clipping needs max_norm > 0.");
        var total = gradients.GlobalNorm();
        var coefficient = Math.Min(1, maxNorm / (total + 1e-6));
        return (coefficient * gradients, total);
    }

    /// <summary>Like <c>clip_grad_value_</c>: every element clamped to [−clip, clip].</summary>
    public static Layer GradValue(Layer gradients, double clip)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (!(clip >= 0))
            throw new ArgumentOutOfRangeException(nameof(clip), clip, "Clipping needs a value >= 0.");
        return gradients.MapParameters((_, g) => g.Map(new Clamp(clip)));
    }

    private readonly record struct Clamp(double Limit) : IScalarFunction
    {
        public double Invoke(double x) => double.IsNaN(x) ? x : Math.Clamp(x, -Limit, Limit);
    }
}
