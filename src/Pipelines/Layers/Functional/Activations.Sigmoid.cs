using Pipelines.Tensors;

namespace Pipelines.Layers.Functional;

public static partial class Activations
{
    /// <summary>1 / (1 + e⁻ˣ), stable at both ends. Like <c>torch.sigmoid</c>.</summary>
    public static Tensor Sigmoid(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Map(default(SigmoidFunction));
    }

    /// <summary>dx = dy·y·(1 − y), from the output y.</summary>
    public static Tensor SigmoidBackward(Tensor y, Tensor dy)
    {
        RequireSameShape("Sigmoid", y, dy);
        return Tensor.Map(y, dy, default(SigmoidGradient));
    }

    /// <summary>The logistic function, in the form that never overflows.</summary>
    internal static double Logistic(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    private readonly struct SigmoidFunction : IScalarFunction
    {
        public double Invoke(double x) => Logistic(x);
    }

    private readonly struct SigmoidGradient : IScalarFunction2
    {
        public double Invoke(double x, double y) => y * x * (1 - x);
    }
}
