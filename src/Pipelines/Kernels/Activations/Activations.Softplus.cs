using System.Numerics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>log(1 + e^(βx)) / β, and x itself where βx exceeds the threshold; computed in double. Like <c>F.softplus(x, beta, threshold)</c>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="beta">The sharpness β.</param>
    /// <param name="threshold">Above βx = threshold the function is the identity.</param>
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20) =>
        MapLanes("Softplus", x, new SoftplusRule<float>(beta, threshold), new SoftplusRule<double>(beta, threshold));

    /// <summary>dx = dy·σ(βx) (dy past the threshold), from the input x.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="beta">The sharpness β.</param>
    /// <param name="threshold">Above βx = threshold the function is the identity.</param>
    public static Tensor SoftplusBackward(Tensor x, Tensor dy, double beta = 1, double threshold = 20) =>
        MapLanes("Softplus", x, dy, new SoftplusGradientRule<float>(beta, threshold), new SoftplusGradientRule<double>(beta, threshold));

    /// <summary>.NET has no vector log1p, so each lane runs the double rule.</summary>
    private readonly struct SoftplusRule<T>(double beta, double threshold) : IUnaryLaneRule<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x)
        {
            var v = double.CreateTruncating(x);
            return T.CreateTruncating(v * beta > threshold ? v : SpecialFunctions.Log1p(Math.Exp(beta * v)) / beta);
        }
    }

    private readonly struct SoftplusGradientRule<T>(double beta, double threshold) : IBinaryLaneRule<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy)
        {
            var (v, g) = (double.CreateTruncating(x), double.CreateTruncating(dy));
            return T.CreateTruncating(v * beta > threshold ? g : g * SpecialFunctions.Logistic(beta * v));
        }
    }
}
