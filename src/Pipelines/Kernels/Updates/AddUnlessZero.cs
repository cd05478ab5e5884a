using System.Numerics;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels;

/// <summary>
/// p + u, except that an update of exactly zero (±0) leaves p bitwise unchanged (even −0): frozen or masked parameters
/// stay frozen whatever arithmetic surrounds them.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct AddUnlessZero<T> : IBinaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T Invoke(T x, T y) => y == T.Zero ? x : x + y;

    /// <inheritdoc/>
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => Vector128.ConditionalSelect(Vector128.Equals(y, Vector128<T>.Zero), x, x + y);

    /// <inheritdoc/>
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => Vector256.ConditionalSelect(Vector256.Equals(y, Vector256<T>.Zero), x, x + y);

    /// <inheritdoc/>
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => Vector512.ConditionalSelect(Vector512.Equals(y, Vector512<T>.Zero), x, x + y);
}
