using System.Numerics;

namespace Pipelines.Kernels;

/// <summary>
/// An element-wise function written once, in the lane operations of <see cref="IVectorOps{TVector, T}"/>: the driver
/// runs the same body at every vector width, so an element's bits never depend on the width or its position. A
/// readonly struct, so the driver is specialised per operator and the operator can carry parameters (a slope).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IUnaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>f applied to each lane.</summary>
    /// <typeparam name="TOps">The lane operations of the width the driver runs at.</typeparam>
    /// <typeparam name="TVector">That width's vector type (T itself for the scalar form).</typeparam>
    /// <param name="x">The lanes.</param>
    TVector Invoke<TOps, TVector>(TVector x)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct;
}
