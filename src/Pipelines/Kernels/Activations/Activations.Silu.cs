using System.Numerics;
using System.Runtime.Intrinsics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>x·σ(x), also called swish. Like <c>F.silu</c>.</summary>
    /// <param name="x">The input.</param>
    public static Tensor Silu(Tensor x) => Map("SiLU", x, default(SiluOperator<float>), default(SiluOperator<double>));

    /// <summary>dx = dy·σ(x)·(1 + x·(1 − σ(x))), from the input x.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">The gradient of the output.</param>
    public static Tensor SiluBackward(Tensor x, Tensor dy) => Map("SiLU", x, dy, default(SiluGradient<float>), default(SiluGradient<double>));

    private readonly struct SiluOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x) => x / (T.One + VectorMath.Exp(-x));

        public Vector128<T> Invoke(Vector128<T> x) => x / (Vector128<T>.One + VectorMath.Exp(-x));

        public Vector256<T> Invoke(Vector256<T> x) => x / (Vector256<T>.One + VectorMath.Exp(-x));

        public Vector512<T> Invoke(Vector512<T> x) => x / (Vector512<T>.One + VectorMath.Exp(-x));
    }

    private readonly struct SiluGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy)
        {
            var s = T.One / (T.One + VectorMath.Exp(-x));
            return dy * s * (T.One + (x * (T.One - s)));
        }

        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> dy)
        {
            var s = Vector128<T>.One / (Vector128<T>.One + VectorMath.Exp(-x));
            return dy * s * (Vector128<T>.One + (x * (Vector128<T>.One - s)));
        }

        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> dy)
        {
            var s = Vector256<T>.One / (Vector256<T>.One + VectorMath.Exp(-x));
            return dy * s * (Vector256<T>.One + (x * (Vector256<T>.One - s)));
        }

        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> dy)
        {
            var s = Vector512<T>.One / (Vector512<T>.One + VectorMath.Exp(-x));
            return dy * s * (Vector512<T>.One + (x * (Vector512<T>.One - s)));
        }
    }
}
