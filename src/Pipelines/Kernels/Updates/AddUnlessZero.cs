using System.Numerics;

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
    public TVector Invoke<TOps, TVector>(TVector x, TVector y)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct =>
        TOps.SelectWhereZero(y, x, TOps.Add(x, y));
}
