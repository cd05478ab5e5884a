using System.Numerics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    private const double SqrtTwoOverPi = 0.7978845608028654;
    private const double GeluCubic = 0.044715;

    /// <summary>The Gaussian error linear unit, computed in double and rounded once. Like <c>F.gelu</c>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="approximation">The exact form (with erf) or the tanh approximation.</param>
    public static Tensor Gelu(Tensor x, GeluApproximation approximation = GeluApproximation.None) =>
        MapLanes("GELU", x, new GeluRule<float>(approximation), new GeluRule<double>(approximation));

    /// <summary>dx = dy·GELU′(x), from the input x.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="approximation">The form the forward used.</param>
    public static Tensor GeluBackward(Tensor x, Tensor dy, GeluApproximation approximation = GeluApproximation.None) =>
        MapLanes("GELU", x, dy, new GeluGradientRule<float>(approximation), new GeluGradientRule<double>(approximation));

    /// <summary>The error function has no vector form in .NET, so each lane runs the double rule.</summary>
    private readonly struct GeluRule<T>(GeluApproximation approximation) : IUnaryLaneRule<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x) => T.CreateTruncating(Rule(double.CreateTruncating(x)));

        private double Rule(double x) => approximation == GeluApproximation.None
            ? 0.5 * x * (1 + SpecialFunctions.Erf(x / Math.Sqrt(2)))
            : 0.5 * x * (1 + Math.Tanh(SqrtTwoOverPi * (x + (GeluCubic * x * x * x))));
    }

    private readonly struct GeluGradientRule<T>(GeluApproximation approximation) : IBinaryLaneRule<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy) => T.CreateTruncating(Rule(double.CreateTruncating(x), double.CreateTruncating(dy)));

        private double Rule(double x, double dy)
        {
            if (approximation == GeluApproximation.None)
            {
                var cdf = 0.5 * (1 + SpecialFunctions.Erf(x / Math.Sqrt(2)));
                var pdf = Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
                return dy * (cdf + (x * pdf));
            }
            var inner = Math.Tanh(SqrtTwoOverPi * (x + (GeluCubic * x * x * x)));
            var derivative = (0.5 * (1 + inner)) + (0.5 * x * (1 - (inner * inner)) * SqrtTwoOverPi * (1 + (3 * GeluCubic * x * x)));
            return dy * derivative;
        }
    }
}
