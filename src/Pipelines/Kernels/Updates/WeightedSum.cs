using System.Numerics;

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
    public TVector Invoke<TOps, TVector>(TVector x, TVector y)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct =>
        TOps.Add(TOps.Multiply(x, TOps.Broadcast(a)), TOps.Multiply(y, TOps.Broadcast(b)));
}
