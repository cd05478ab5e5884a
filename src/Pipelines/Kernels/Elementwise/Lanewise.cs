using System.Numerics;
using System.Runtime.InteropServices;

namespace Pipelines.Kernels;

/// <summary>
/// A rule with no vector form (an error function, a log1p in double), written for one element. <see
/// cref="Lanewise{TRule, T}"/> makes it an operator that runs each lane through the rule, so every element still goes
/// through the same code whatever its position.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IUnaryLaneRule<T>
{
    /// <summary>f(x).</summary>
    /// <param name="x">The element.</param>
    T Invoke(T x);
}

/// <summary>A rule of two operands with no vector form; see <see cref="IUnaryLaneRule{T}"/>.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IBinaryLaneRule<T>
{
    /// <summary>g(x, y).</summary>
    /// <param name="x">The first element.</param>
    /// <param name="y">The second element.</param>
    T Invoke(T x, T y);
}

/// <summary>The operator that applies a scalar rule to each lane.</summary>
/// <typeparam name="TRule">The rule.</typeparam>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="rule">The rule, with its parameters.</param>
internal readonly struct Lanewise<TRule, T>(TRule rule) : IUnaryOperator<T>
    where TRule : struct, IUnaryLaneRule<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public TVector Invoke<TOps, TVector>(TVector x)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
    {
        Span<T> lanes = stackalloc T[TOps.Count];
        ref var first = ref MemoryMarshal.GetReference(lanes);
        TOps.Store(x, ref first, 0);
        foreach (ref var lane in lanes)
            lane = rule.Invoke(lane);
        return TOps.Load(ref first, 0);
    }
}

/// <summary>The operator that applies a scalar rule of two operands to each pair of lanes.</summary>
/// <typeparam name="TRule">The rule.</typeparam>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="rule">The rule, with its parameters.</param>
internal readonly struct LanewisePair<TRule, T>(TRule rule) : IBinaryOperator<T>
    where TRule : struct, IBinaryLaneRule<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public TVector Invoke<TOps, TVector>(TVector x, TVector y)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
    {
        Span<T> lanes = stackalloc T[2 * TOps.Count];
        var xs = lanes[..TOps.Count];
        var ys = lanes[TOps.Count..];
        TOps.Store(x, ref MemoryMarshal.GetReference(xs), 0);
        TOps.Store(y, ref MemoryMarshal.GetReference(ys), 0);
        for (var i = 0; i < xs.Length; i++)
            xs[i] = rule.Invoke(xs[i], ys[i]);
        return TOps.Load(ref MemoryMarshal.GetReference(xs), 0);
    }
}
