using System.Numerics;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels;

/// <summary>
/// x·a + y·b in one pass, each product rounded before the sum (never fused into a multiply-add), so it equals
/// multiplying then adding, bitwise: the reduction of micro-batch gradients, weighted by their shares.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="a">The first weight.</param>
/// <param name="b">The second weight.</param>
internal readonly struct WeightedSum<T>(T a, T b) : IBinaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T Invoke(T x, T y)
    {
        var (first, second) = (x * a, y * b);
        return first + second;
    }

    /// <inheritdoc/>
    public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y)
    {
        var (first, second) = (x * a, y * b);
        return first + second;
    }

    /// <inheritdoc/>
    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y)
    {
        var (first, second) = (x * a, y * b);
        return first + second;
    }

    /// <inheritdoc/>
    public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y)
    {
        var (first, second) = (x * a, y * b);
        return first + second;
    }
}
