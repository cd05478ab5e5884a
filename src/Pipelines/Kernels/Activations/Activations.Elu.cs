using System.Numerics;
using System.Runtime.Intrinsics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>x where x &gt; 0, else α·(eˣ − 1), computed in double (expm1 keeps it exact near 0). Like <c>F.elu(x, alpha)</c>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="alpha">The scale of the negative side.</param>
    public static Tensor Elu(Tensor x, double alpha = 1) => Map("ELU", x, new EluOperator<float>(alpha), new EluOperator<double>(alpha));

    /// <summary>dx = dy where x &gt; 0, else dy·α·eˣ, from the input x.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="alpha">The scale of the negative side.</param>
    public static Tensor EluBackward(Tensor x, Tensor dy, double alpha = 1) => Map("ELU", x, dy, new EluGradient<float>(alpha), new EluGradient<double>(alpha));

    /// <summary>.NET has no vector expm1, so each lane runs the double rule.</summary>
    private readonly struct EluOperator<T>(double alpha) : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x)
        {
            var v = double.CreateTruncating(x);
            return T.CreateTruncating(v > 0 || double.IsNaN(v) ? v : alpha * SpecialFunctions.Expm1(v));
        }

        public Vector128<T> Invoke(Vector128<T> x) => Lanewise.Apply(this, x);

        public Vector256<T> Invoke(Vector256<T> x) => Lanewise.Apply(this, x);

        public Vector512<T> Invoke(Vector512<T> x) => Lanewise.Apply(this, x);
    }

    private readonly struct EluGradient<T>(double alpha) : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy)
        {
            var (v, g) = (double.CreateTruncating(x), double.CreateTruncating(dy));
            return T.CreateTruncating(v > 0 ? g : g * alpha * Math.Exp(v));
        }

        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> dy) => Lanewise.Apply(this, x, dy);

        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> dy) => Lanewise.Apply(this, x, dy);

        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> dy) => Lanewise.Apply(this, x, dy);
    }
}
