using System.Numerics;

namespace Pipelines.Kernels;

/// <summary>An element-wise function of two operands, written once as <see cref="IUnaryOperator{T}"/> is.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IBinaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>g applied to each pair of lanes.</summary>
    /// <typeparam name="TOps">The lane operations of the width the driver runs at.</typeparam>
    /// <typeparam name="TVector">That width's vector type (T itself for the scalar form).</typeparam>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    TVector Invoke<TOps, TVector>(TVector x, TVector y)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct;
}
