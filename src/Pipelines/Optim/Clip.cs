using System.Numerics;
using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

/// <summary>Gradient clipping as functions on gradient values, like <c>torch.nn.utils</c>.</summary>
public static class Clip
{
    /// <summary>
    /// Like <c>clip_grad_norm_</c>: the total norm of all gradients (accumulated in double), and the gradients times
    /// min(1, max_norm / (total + 1e-6)).
    /// </summary>
    /// <typeparam name="TLayer">The gradient's type.</typeparam>
    /// <param name="gradient">The gradient, a layer of the model's structure.</param>
    /// <param name="maxNorm">The largest total norm let through.</param>
    public static (TLayer Clipped, double TotalNorm) GradNorm<TLayer>(TLayer gradient, double maxNorm)
        where TLayer : Layer
    {
        ArgumentNullException.ThrowIfNull(gradient);
        if (!(maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Clipping needs max_norm > 0.");
        var total = GlobalNorm(gradient.NamedParameters());
        var coefficient = Coefficient(total, maxNorm);
        return (coefficient < 1 ? (TLayer)(coefficient * gradient) : gradient, total);
    }

    /// <summary>Like <c>clip_grad_value_</c>: every element clamped to [−clip, clip] (NaN stays NaN).</summary>
    /// <typeparam name="TLayer">The gradient's type.</typeparam>
    /// <param name="gradient">The gradient, a layer of the model's structure.</param>
    /// <param name="clip">The bound.</param>
    public static TLayer GradValue<TLayer>(TLayer gradient, double clip)
        where TLayer : Layer
    {
        ArgumentNullException.ThrowIfNull(gradient);
        if (!(clip >= 0))
            throw new ArgumentOutOfRangeException(nameof(clip), clip, "Clipping needs a value >= 0.");
        return (TLayer)gradient.MapParameters((_, g) => Clamp(g, clip));
    }

    /// <summary>The Euclidean norm of all tensors together, accumulated in double.</summary>
    internal static double GlobalNorm(NamedTensors tensors) => Math.Sqrt(tensors.Tensors.Sum(t => t.SumOfSquares()));

    /// <summary>min(1, max_norm / (total + 1e-6)), as <c>clip_grad_norm_</c> computes it.</summary>
    internal static double Coefficient(double total, double maxNorm) => Math.Min(1, maxNorm / (total + 1e-6));

    internal static Tensor Clamp(Tensor g, double clip) => g.DType == DType.Float32
        ? Elementwise.Map<ClampOperator<float>, float>(g, new((float)clip))
        : Elementwise.Map<ClampOperator<double>, double>(g, new(clip));

    /// <summary>Clamps to [−c, c]; NaN compares false both ways and so passes through.</summary>
    private readonly struct ClampOperator<T>(T limit) : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public TVector Invoke<TOps, TVector>(TVector x)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct
        {
            var (upper, lower) = (TOps.Broadcast(limit), TOps.Broadcast(-limit));
            return TOps.SelectWhereGreater(x, upper, upper, TOps.SelectWhereLess(x, lower, lower, x));
        }
    }
}
