using System.Numerics;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels;

/// <summary>
/// An element-wise function in the shape of TensorPrimitives' operators: one rule written for a scalar and for each
/// vector width. A readonly struct, so the driver is specialised per operator and can carry parameters (a slope).
/// Every width must compute the same bits per element as the others: results never depend on vector width or position.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IUnaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>f(x).</summary>
    /// <param name="x">The element.</param>
    T Invoke(T x);

    /// <summary>f applied to each lane.</summary>
    /// <param name="x">The lanes.</param>
    Vector128<T> Invoke(Vector128<T> x);

    /// <summary>f applied to each lane.</summary>
    /// <param name="x">The lanes.</param>
    Vector256<T> Invoke(Vector256<T> x);

    /// <summary>f applied to each lane.</summary>
    /// <param name="x">The lanes.</param>
    Vector512<T> Invoke(Vector512<T> x);
}
