using System.Numerics;
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
        public TVector Invoke<TOps, TVector>(TVector x)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct =>
            TOps.Divide(x, TOps.Add(TOps.Broadcast(T.One), Exponential.Exp<TOps, TVector, T>(TOps.Negate(x))));
    }

    private readonly struct SiluGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public TVector Invoke<TOps, TVector>(TVector x, TVector dy)
            where TOps : struct, IVectorOps<TVector, T>
            where TVector : struct
        {
            var one = TOps.Broadcast(T.One);
            var s = TOps.Divide(one, TOps.Add(one, Exponential.Exp<TOps, TVector, T>(TOps.Negate(x))));
            return TOps.Multiply(TOps.Multiply(dy, s), TOps.Add(one, TOps.Multiply(x, TOps.Subtract(one, s))));
        }
    }
}
