using System.Numerics;
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
        public TVector Invoke<TOps, TVector>(TVector x)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct =>
            TOps.Divide(TOps.Broadcast(T.One), TOps.Add(TOps.Broadcast(T.One), Exponential.Exp<TOps, TVector, T>(TOps.Negate(x))));
    }

    private readonly struct SigmoidGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public TVector Invoke<TOps, TVector>(TVector y, TVector dy)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct =>
            TOps.Multiply(TOps.Multiply(dy, y), TOps.Subtract(TOps.Broadcast(T.One), y));
    }
}
