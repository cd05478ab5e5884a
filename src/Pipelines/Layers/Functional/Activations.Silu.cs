using Pipelines.Tensors;

namespace Pipelines.Layers.Functional;

public static partial class Activations
{
    /// <summary>x·σ(x), also called swish. Like <c>F.silu</c>.</summary>
    public static Tensor Silu(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Map(default(SiluFunction));
    }

    /// <summary>dx = dy·σ(x)·(1 + x·(1 − σ(x))), from the input x.</summary>
    public static Tensor SiluBackward(Tensor x, Tensor dy)
    {
        RequireSameShape("Silu", x, dy);
        return Tensor.Map(x, dy, default(SiluGradient));
    }

    private readonly struct SiluFunction : IScalarFunction
    {
        public double Invoke(double x) => x * Logistic(x);
    }

    private readonly struct SiluGradient : IScalarFunction2
    {
        public double Invoke(double x, double y)
        {
            var s = Logistic(x);
            return y * s * (1 + (x * (1 - s)));
        }
    }
}
