using System.Numerics;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels;

/// <summary>An element-wise function of two tensors, such as a backward rule g(x, dy); see <see cref="IUnaryOperator{T}"/>.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IBinaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>g(x, y).</summary>
    /// <param name="x">The first element.</param>
    /// <param name="y">The second element.</param>
    T Invoke(T x, T y);

    /// <summary>g applied lane by lane.</summary>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    Vector128<T> Invoke(Vector128<T> x, Vector128<T> y);

    /// <summary>g applied lane by lane.</summary>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    Vector256<T> Invoke(Vector256<T> x, Vector256<T> y);

    /// <summary>g applied lane by lane.</summary>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    Vector512<T> Invoke(Vector512<T> x, Vector512<T> y);
}
