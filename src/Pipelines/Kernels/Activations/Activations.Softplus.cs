using System.Numerics;
using System.Runtime.Intrinsics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>log(1 + e^(βx)) / β, and x itself where βx exceeds the threshold; computed in double. Like <c>F.softplus(x, beta, threshold)</c>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="beta">The sharpness β.</param>
    /// <param name="threshold">Above βx = threshold the function is the identity.</param>
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20) =>
        Map("Softplus", x, new SoftplusOperator<float>(beta, threshold), new SoftplusOperator<double>(beta, threshold));

    /// <summary>dx = dy·σ(βx) (dy past the threshold), from the input x.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="beta">The sharpness β.</param>
    /// <param name="threshold">Above βx = threshold the function is the identity.</param>
    public static Tensor SoftplusBackward(Tensor x, Tensor dy, double beta = 1, double threshold = 20) =>
        Map("Softplus", x, dy, new SoftplusGradient<float>(beta, threshold), new SoftplusGradient<double>(beta, threshold));

    /// <summary>.NET has no vector log1p, so each lane runs the double rule.</summary>
    private readonly struct SoftplusOperator<T>(double beta, double threshold) : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x)
        {
            var v = double.CreateTruncating(x);
            return T.CreateTruncating(v * beta > threshold ? v : SpecialFunctions.Log1p(Math.Exp(beta * v)) / beta);
        }

        public Vector128<T> Invoke(Vector128<T> x) => Lanewise.Apply(this, x);

        public Vector256<T> Invoke(Vector256<T> x) => Lanewise.Apply(this, x);

        public Vector512<T> Invoke(Vector512<T> x) => Lanewise.Apply(this, x);
    }

    private readonly struct SoftplusGradient<T>(double beta, double threshold) : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy)
        {
            var (v, g) = (double.CreateTruncating(x), double.CreateTruncating(dy));
            return T.CreateTruncating(v * beta > threshold ? g : g * SpecialFunctions.Logistic(beta * v));
        }

        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> dy) => Lanewise.Apply(this, x, dy);

        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> dy) => Lanewise.Apply(this, x, dy);

        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> dy) => Lanewise.Apply(this, x, dy);
    }
}
