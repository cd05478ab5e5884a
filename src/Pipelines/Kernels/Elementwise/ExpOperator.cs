using System.Numerics;

namespace Pipelines.Kernels;

/// <summary>eˣ as an element-wise operator, by <see cref="Exponential"/>: each element's bits depend on it alone.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct ExpOperator<T> : IUnaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public TVector Invoke<TOps, TVector>(TVector x)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct => Exponential.Exp<TOps, TVector, T>(x);
}
