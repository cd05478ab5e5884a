using Pipelines.Tensors;

namespace Pipelines.Layers.Functional;

public static partial class Activations
{
    /// <summary>The hyperbolic tangent. Like <c>torch.tanh</c>.</summary>
    public static Tensor Tanh(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Map(default(TanhFunction));
    }

    /// <summary>dx = dy·(1 − y²), from the output y.</summary>
    public static Tensor TanhBackward(Tensor y, Tensor dy)
    {
        RequireSameShape("Tanh", y, dy);
        return Tensor.Map(y, dy, default(TanhGradient));
    }

    private readonly struct TanhFunction : IScalarFunction
    {
        public double Invoke(double x) => Math.Tanh(x);
    }

    private readonly struct TanhGradient : IScalarFunction2
    {
        public double Invoke(double x, double y) => y * (1 - (x * x));
    }
}
