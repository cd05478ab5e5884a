using System.Numerics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>The hyperbolic tangent, (e²ˣ − 1)/(e²ˣ + 1) from an accurate eˣ − 1. Like <c>torch.tanh</c>.</summary>
    /// <param name="x">The input.</param>
    public static Tensor Tanh(Tensor x) => Map("Tanh", x, default(TanhOperator<float>), default(TanhOperator<double>));

    /// <summary>dx = dy·(1 − y²), from the output y.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient of the output.</param>
    public static Tensor TanhBackward(Tensor y, Tensor dy) => Map("Tanh", y, dy, default(TanhGradient<float>), default(TanhGradient<double>));

    /// <summary>
    /// Past ±22 (±10 in float32) tanh rounds to ±1, so the input is clamped there and e²ˣ never overflows; NaN passes.
    /// </summary>
    private readonly struct TanhOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public TVector Invoke<TOps, TVector>(TVector x)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct
        {
            var (upper, lower) = (TOps.Broadcast(Saturation), TOps.Broadcast(-Saturation));
            var clamped = TOps.SelectWhereGreater(x, upper, upper, TOps.SelectWhereLess(x, lower, lower, x));
            var e = Exponential.ExpM1<TOps, TVector, T>(TOps.Add(clamped, clamped));
            return TOps.Divide(e, TOps.Add(e, TOps.Broadcast(T.CreateTruncating(2))));
        }

        private static T Saturation => T.CreateTruncating(typeof(T) == typeof(float) ? 10 : 22);
    }

    private readonly struct TanhGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public TVector Invoke<TOps, TVector>(TVector y, TVector dy)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct =>
            TOps.Multiply(dy, TOps.Subtract(TOps.Broadcast(T.One), TOps.Multiply(y, y)));
    }
}
