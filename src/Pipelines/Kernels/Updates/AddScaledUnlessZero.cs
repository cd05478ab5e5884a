using System.Numerics;

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
    public TVector Invoke<TOps, TVector>(TVector p, TVector g)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
    {
        var u = TOps.Multiply(g, TOps.Broadcast(scale));
        return TOps.SelectWhereZero(u, p, TOps.Add(p, u));
    }
}
