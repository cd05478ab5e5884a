using System.Numerics;
using System.Runtime.Intrinsics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>1 / (1 + e⁻ˣ), which saturates cleanly to 0 and 1 at both ends. Like <c>torch.sigmoid</c>.</summary>
    /// <param name="x">The input.</param>
    public static Tensor Sigmoid(Tensor x) => Map("Sigmoid", x, default(SigmoidOperator<float>), default(SigmoidOperator<double>));

    /// <summary>dx = dy·y·(1 − y), from the output y.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient of the output.</param>
    public static Tensor SigmoidBackward(Tensor y, Tensor dy) => Map("Sigmoid", y, dy, default(SigmoidGradient<float>), default(SigmoidGradient<double>));

    private readonly struct SigmoidOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x) => T.One / (T.One + VectorMath.Exp(-x));

        public Vector128<T> Invoke(Vector128<T> x) => Vector128<T>.One / (Vector128<T>.One + VectorMath.Exp(-x));

        public Vector256<T> Invoke(Vector256<T> x) => Vector256<T>.One / (Vector256<T>.One + VectorMath.Exp(-x));

        public Vector512<T> Invoke(Vector512<T> x) => Vector512<T>.One / (Vector512<T>.One + VectorMath.Exp(-x));
    }

    private readonly struct SigmoidGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T y, T dy) => dy * y * (T.One - y);

        public Vector128<T> Invoke(Vector128<T> y, Vector128<T> dy) => dy * y * (Vector128<T>.One - y);

        public Vector256<T> Invoke(Vector256<T> y, Vector256<T> dy) => dy * y * (Vector256<T>.One - y);

        public Vector512<T> Invoke(Vector512<T> y, Vector512<T> dy) => dy * y * (Vector512<T>.One - y);
    }
}
