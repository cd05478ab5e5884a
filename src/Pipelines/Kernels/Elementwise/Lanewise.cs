using System.Numerics;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels;

/// <summary>
/// The vector forms of an operator whose rule has no vector version (an error function, a log1p in double): each lane
/// through the scalar rule. The driver still calls every element through the same rule, so results stay position-independent.
/// </summary>
internal static class Lanewise
{
    /// <summary>The scalar rule applied to each lane.</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="op">The operator.</param>
    /// <param name="x">The lanes.</param>
    public static Vector128<T> Apply<TOperator, T>(TOperator op, Vector128<T> x)
        where TOperator : struct, IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> lanes = stackalloc T[Vector128<T>.Count];
        for (var i = 0; i < lanes.Length; i++)
            lanes[i] = op.Invoke(x[i]);
        return Vector128.Create<T>(lanes);
    }

    /// <summary>The scalar rule applied to each lane.</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="op">The operator.</param>
    /// <param name="x">The lanes.</param>
    public static Vector256<T> Apply<TOperator, T>(TOperator op, Vector256<T> x)
        where TOperator : struct, IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Vector256.Create(Apply(op, x.GetLower()), Apply(op, x.GetUpper()));

    /// <summary>The scalar rule applied to each lane.</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="op">The operator.</param>
    /// <param name="x">The lanes.</param>
    public static Vector512<T> Apply<TOperator, T>(TOperator op, Vector512<T> x)
        where TOperator : struct, IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Vector512.Create(Apply(op, x.GetLower()), Apply(op, x.GetUpper()));

    /// <summary>The scalar rule applied to each pair of lanes.</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="op">The operator.</param>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    public static Vector128<T> Apply<TOperator, T>(TOperator op, Vector128<T> x, Vector128<T> y)
        where TOperator : struct, IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> lanes = stackalloc T[Vector128<T>.Count];
        for (var i = 0; i < lanes.Length; i++)
            lanes[i] = op.Invoke(x[i], y[i]);
        return Vector128.Create<T>(lanes);
    }

    /// <summary>The scalar rule applied to each pair of lanes.</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="op">The operator.</param>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    public static Vector256<T> Apply<TOperator, T>(TOperator op, Vector256<T> x, Vector256<T> y)
        where TOperator : struct, IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Vector256.Create(Apply(op, x.GetLower(), y.GetLower()), Apply(op, x.GetUpper(), y.GetUpper()));

    /// <summary>The scalar rule applied to each pair of lanes.</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="op">The operator.</param>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    public static Vector512<T> Apply<TOperator, T>(TOperator op, Vector512<T> x, Vector512<T> y)
        where TOperator : struct, IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Vector512.Create(Apply(op, x.GetLower(), y.GetLower()), Apply(op, x.GetUpper(), y.GetUpper()));
}
