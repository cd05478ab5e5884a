using System.Numerics;
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
        public TVector Invoke<TOps, TVector>(TVector x)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct =>
            TOps.SelectWhereLess(x, TOps.Broadcast(T.Zero), TOps.Broadcast(T.Zero), x);
    }

    private readonly struct ReluGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public TVector Invoke<TOps, TVector>(TVector x, TVector dy)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct =>
            TOps.SelectWhereGreater(x, TOps.Broadcast(T.Zero), dy, TOps.Broadcast(T.Zero));
    }

    private readonly struct LeakyReluOperator<T>(T slope) : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public TVector Invoke<TOps, TVector>(TVector x)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct =>
            TOps.SelectWhereGreater(x, TOps.Broadcast(T.Zero), x, TOps.Multiply(x, TOps.Broadcast(slope)));
    }

    private readonly struct LeakyReluGradient<T>(T slope) : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public TVector Invoke<TOps, TVector>(TVector x, TVector dy)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct =>
            TOps.SelectWhereGreater(x, TOps.Broadcast(T.Zero), dy, TOps.Multiply(dy, TOps.Broadcast(slope)));
    }
}
