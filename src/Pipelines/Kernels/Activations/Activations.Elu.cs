using System.Numerics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>x where x &gt; 0, else α·(eˣ − 1), computed in double (expm1 keeps it exact near 0). Like <c>F.elu(x, alpha)</c>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="alpha">The scale of the negative side.</param>
    public static Tensor Elu(Tensor x, double alpha = 1) => MapLanes("ELU", x, new EluRule<float>(alpha), new EluRule<double>(alpha));

    /// <summary>dx = dy where x &gt; 0, else dy·α·eˣ, from the input x.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="alpha">The scale of the negative side.</param>
    public static Tensor EluBackward(Tensor x, Tensor dy, double alpha = 1) => MapLanes("ELU", x, dy, new EluGradientRule<float>(alpha), new EluGradientRule<double>(alpha));

    /// <summary>.NET has no vector expm1, so each lane runs the double rule.</summary>
    private readonly struct EluRule<T>(double alpha) : IUnaryLaneRule<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x)
        {
            var v = double.CreateTruncating(x);
            return T.CreateTruncating(v > 0 || double.IsNaN(v) ? v : alpha * SpecialFunctions.Expm1(v));
        }
    }

    private readonly struct EluGradientRule<T>(double alpha) : IBinaryLaneRule<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy)
        {
            var (v, g) = (double.CreateTruncating(x), double.CreateTruncating(dy));
            return T.CreateTruncating(v > 0 ? g : g * alpha * Math.Exp(v));
        }
    }
}
