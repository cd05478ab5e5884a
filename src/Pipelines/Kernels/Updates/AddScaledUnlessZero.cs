using System.Numerics;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels;

/// <summary>
/// p + g·s in one pass, as <see cref="AddUnlessZero{T}"/> would add the update u = g·s: the product is rounded first
/// (never fused into a multiply-add), so the fused step equals scaling then adding, bitwise.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="scale">The factor s (−learning rate).</param>
internal readonly struct AddScaledUnlessZero<T>(T scale) : IBinaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T Invoke(T p, T g)
    {
        var u = g * scale;
        return u == T.Zero ? p : p + u;
    }

    /// <inheritdoc/>
    public Vector128<T> Invoke(Vector128<T> p, Vector128<T> g)
    {
        var u = g * scale;
        return Vector128.ConditionalSelect(Vector128.Equals(u, Vector128<T>.Zero), p, p + u);
    }

    /// <inheritdoc/>
    public Vector256<T> Invoke(Vector256<T> p, Vector256<T> g)
    {
        var u = g * scale;
        return Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<T>.Zero), p, p + u);
    }

    /// <inheritdoc/>
    public Vector512<T> Invoke(Vector512<T> p, Vector512<T> g)
    {
        var u = g * scale;
        return Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<T>.Zero), p, p + u);
    }
}
