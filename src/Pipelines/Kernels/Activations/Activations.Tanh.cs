using System.Numerics;
using System.Runtime.Intrinsics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>The hyperbolic tangent, by TensorPrimitives' vector rule for every element. Like <c>torch.tanh</c>.</summary>
    /// <param name="x">The input.</param>
    public static Tensor Tanh(Tensor x) => Primitive("Tanh", x, Bound.TanhSingle, Bound.TanhDouble);

    /// <summary>dx = dy·(1 − y²), from the output y.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient of the output.</param>
    public static Tensor TanhBackward(Tensor y, Tensor dy) => Map("Tanh", y, dy, default(TanhGradient<float>), default(TanhGradient<double>));

    private readonly struct TanhGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T y, T dy) => dy * (T.One - (y * y));

        public Vector128<T> Invoke(Vector128<T> y, Vector128<T> dy) => dy * (Vector128<T>.One - (y * y));

        public Vector256<T> Invoke(Vector256<T> y, Vector256<T> dy) => dy * (Vector256<T>.One - (y * y));

        public Vector512<T> Invoke(Vector512<T> y, Vector512<T> dy) => dy * (Vector512<T>.One - (y * y));
    }
}
