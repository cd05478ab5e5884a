using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels;

/// <summary>
/// eˣ at every width for generic element types, by .NET's vector exponential (one algorithm for every width, so lanes
/// agree bitwise across widths); the JIT folds the type test away.
/// </summary>
internal static class VectorMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => typeof(T) == typeof(float)
        ? (T)(object)Vector128.Exp(Vector128.Create((float)(object)x)).ToScalar()
        : (T)(object)Vector128.Exp(Vector128.Create((double)(object)x)).ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Exp<T>(Vector128<T> x)
        where T : unmanaged => typeof(T) == typeof(float) ? Vector128.Exp(x.AsSingle()).As<float, T>() : Vector128.Exp(x.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exp<T>(Vector256<T> x)
        where T : unmanaged => typeof(T) == typeof(float) ? Vector256.Exp(x.AsSingle()).As<float, T>() : Vector256.Exp(x.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exp<T>(Vector512<T> x)
        where T : unmanaged => typeof(T) == typeof(float) ? Vector512.Exp(x.AsSingle()).As<float, T>() : Vector512.Exp(x.AsDouble()).As<double, T>();
}
