using System.Numerics;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels;

/// <summary>An element-wise function of three tensors, such as a backward rule h(x, s, dy); see <see cref="IUnaryOperator{T}"/>.</summary>
/// <typeparam name="T">float or double.</typeparam>
public interface ITernaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>h(x, y, z).</summary>
    /// <param name="x">The first element.</param>
    /// <param name="y">The second element.</param>
    /// <param name="z">The third element.</param>
    T Invoke(T x, T y, T z);

    /// <summary>h applied lane by lane.</summary>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    /// <param name="z">The third lanes.</param>
    Vector128<T> Invoke(Vector128<T> x, Vector128<T> y, Vector128<T> z);

    /// <summary>h applied lane by lane.</summary>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    /// <param name="z">The third lanes.</param>
    Vector256<T> Invoke(Vector256<T> x, Vector256<T> y, Vector256<T> z);

    /// <summary>h applied lane by lane.</summary>
    /// <param name="x">The first lanes.</param>
    /// <param name="y">The second lanes.</param>
    /// <param name="z">The third lanes.</param>
    Vector512<T> Invoke(Vector512<T> x, Vector512<T> y, Vector512<T> z);
}
