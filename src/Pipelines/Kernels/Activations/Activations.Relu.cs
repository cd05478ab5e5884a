using System.Numerics;
using System.Runtime.Intrinsics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>x where x ≥ 0 or NaN, else +0, exactly as <c>F.relu</c> computes it (−0 stays −0, a negative input gives +0, not −0).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Relu(Tensor x) => Map("ReLU", x, default(ReluOperator<float>), default(ReluOperator<double>));

    /// <summary>dx = dy where x &gt; 0, else 0 (0 at x = 0, as PyTorch).</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">The gradient of the output.</param>
    public static Tensor ReluBackward(Tensor x, Tensor dy) =>
        Map("ReLU", x, dy, default(ReluGradient<float>), default(ReluGradient<double>));

    /// <summary>x where x &gt; 0, else slope·x. Like <c>F.leaky_relu(x, negative_slope)</c>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="negativeSlope">The slope for negative inputs.</param>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01) =>
        Map("LeakyReLU", x, new LeakyReluOperator<float>((float)negativeSlope), new LeakyReluOperator<double>(negativeSlope));

    /// <summary>dx = dy where x &gt; 0, else slope·dy.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="negativeSlope">The slope for negative inputs.</param>
    public static Tensor LeakyReluBackward(Tensor x, Tensor dy, double negativeSlope = 0.01) =>
        Map("LeakyReLU", x, dy, new LeakyReluGradient<float>((float)negativeSlope), new LeakyReluGradient<double>(negativeSlope));

    /// <summary>x &lt; 0 ? +0 : x, PyTorch's rule: NaN and −0 pass through, negatives become +0.</summary>
    private readonly struct ReluOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x) => x < T.Zero ? T.Zero : x;

        public Vector128<T> Invoke(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<T>.Zero), Vector128<T>.Zero, x);

        public Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), Vector256<T>.Zero, x);

        public Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), Vector512<T>.Zero, x);
    }

    private readonly struct ReluGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy) => x > T.Zero ? dy : T.Zero;

        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> dy) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), dy, Vector128<T>.Zero);

        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> dy) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), dy, Vector256<T>.Zero);

        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> dy) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), dy, Vector512<T>.Zero);
    }

    private readonly struct LeakyReluOperator<T>(T slope) : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x) => x > T.Zero ? x : x * slope;

        public Vector128<T> Invoke(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), x, x * slope);

        public Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, x * slope);

        public Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), x, x * slope);
    }

    private readonly struct LeakyReluGradient<T>(T slope) : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy) => x > T.Zero ? dy : dy * slope;

        public Vector128<T> Invoke(Vector128<T> x, Vector128<T> dy) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), dy, dy * slope);

        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> dy) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), dy, dy * slope);

        public Vector512<T> Invoke(Vector512<T> x, Vector512<T> dy) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), dy, dy * slope);
    }
}
