using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Pipelines.Kernels.Threading;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

/// <summary>
/// The one driver of element-wise operators: runs an operator over spans (or tensors, into fresh storage) at the
/// widest vector width this machine accelerates. The last partial vector is computed as a whole vector on a padded
/// copy, so every element goes through the same vector rule whatever its position or the tensor's length: a
/// batch's row equals that row alone, bitwise. Long tensors are mapped in one chunk per thread of the budget.
/// </summary>
internal static unsafe class Elementwise
{
    /// <summary>f(x) for every element of <paramref name="x"/>, as a new tensor of its shape.</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double, matching the tensor's dtype.</typeparam>
    /// <param name="x">The input.</param>
    /// <param name="op">The operator.</param>
    public static Tensor Map<TOperator, T>(Tensor x, TOperator op)
        where TOperator : struct, IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var result = GC.AllocateUninitializedArray<T>(x.Count);
        fixed (T* px = x.AsSpan<T>(), pr = result)
        {
            var (input, output) = ((nint)px, (nint)pr);
            ParallelChunks.Run(result.Length, (start, end) => Apply(op, Chunk<T>(input, start, end), Chunk<T>(output, start, end)));
        }
        return Tensor.Own(result, x.Shape);
    }

    /// <summary>g(x, y) for every pair of elements of two tensors of one shape, as a new tensor.</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double, matching the tensors' dtype.</typeparam>
    /// <param name="x">The first input.</param>
    /// <param name="y">The second input, shaped like the first.</param>
    /// <param name="op">The operator.</param>
    public static Tensor Map<TOperator, T>(Tensor x, Tensor y, TOperator op)
        where TOperator : struct, IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireSameShape(x, y);
        var result = GC.AllocateUninitializedArray<T>(x.Count);
        fixed (T* px = x.AsSpan<T>(), py = y.AsSpan<T>(), pr = result)
        {
            var (first, second, output) = ((nint)px, (nint)py, (nint)pr);
            ParallelChunks.Run(result.Length, (start, end) => Apply(op, Chunk<T>(first, start, end), Chunk<T>(second, start, end), Chunk<T>(output, start, end)));
        }
        return Tensor.Own(result, x.Shape);
    }

    /// <summary>Elements [start, end) of pinned storage: a chunk another thread may work on.</summary>
    private static unsafe Span<T> Chunk<T>(nint data, int start, int end)
        where T : unmanaged => new((T*)data + start, end - start);

    /// <summary>f(x) into <paramref name="destination"/>, which must have the input's length (it may be the input's own memory).</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="op">The operator.</param>
    /// <param name="x">The input.</param>
    /// <param name="destination">Where the results go.</param>
    public static void Apply<TOperator, T>(TOperator op, ReadOnlySpan<T> x, Span<T> destination)
        where TOperator : struct, IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireLength(x.Length, destination.Length);
        ref var xs = ref MemoryMarshal.GetReference(x);
        ref var ds = ref MemoryMarshal.GetReference(destination);
        var n = x.Length;
        switch (Width<T>())
        {
            case 64:
                {
                    var w = Vector512<T>.Count;
                    var i = 0;
                    for (; i <= n - w; i += w)
                        op.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
                    if (i < n)
                        op.Invoke(Tail512(x[i..])).StoreTail(destination[i..]);
                    break;
                }
            case 32:
                {
                    var w = Vector256<T>.Count;
                    var i = 0;
                    for (; i <= n - w; i += w)
                        op.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
                    if (i < n)
                        op.Invoke(Tail256(x[i..])).StoreTail(destination[i..]);
                    break;
                }
            case 16:
                {
                    var w = Vector128<T>.Count;
                    var i = 0;
                    for (; i <= n - w; i += w)
                        op.Invoke(Vector128.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
                    if (i < n)
                        op.Invoke(Tail128(x[i..])).StoreTail(destination[i..]);
                    break;
                }
            default:
                for (var i = 0; i < n; i++)
                    destination[i] = op.Invoke(x[i]);
                break;
        }
    }

    /// <summary>g(x, y) into <paramref name="destination"/>; all three must have one length.</summary>
    /// <typeparam name="TOperator">The operator.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="op">The operator.</param>
    /// <param name="x">The first input.</param>
    /// <param name="y">The second input.</param>
    /// <param name="destination">Where the results go.</param>
    public static void Apply<TOperator, T>(TOperator op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where TOperator : struct, IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireLength(x.Length, y.Length);
        RequireLength(x.Length, destination.Length);
        ref var xs = ref MemoryMarshal.GetReference(x);
        ref var ys = ref MemoryMarshal.GetReference(y);
        ref var ds = ref MemoryMarshal.GetReference(destination);
        var n = x.Length;
        switch (Width<T>())
        {
            case 64:
                {
                    var w = Vector512<T>.Count;
                    var i = 0;
                    for (; i <= n - w; i += w)
                        op.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i), Vector512.LoadUnsafe(ref ys, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
                    if (i < n)
                        op.Invoke(Tail512(x[i..]), Tail512(y[i..])).StoreTail(destination[i..]);
                    break;
                }
            case 32:
                {
                    var w = Vector256<T>.Count;
                    var i = 0;
                    for (; i <= n - w; i += w)
                        op.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
                    if (i < n)
                        op.Invoke(Tail256(x[i..]), Tail256(y[i..])).StoreTail(destination[i..]);
                    break;
                }
            case 16:
                {
                    var w = Vector128<T>.Count;
                    var i = 0;
                    for (; i <= n - w; i += w)
                        op.Invoke(Vector128.LoadUnsafe(ref xs, (nuint)i), Vector128.LoadUnsafe(ref ys, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
                    if (i < n)
                        op.Invoke(Tail128(x[i..]), Tail128(y[i..])).StoreTail(destination[i..]);
                    break;
                }
            default:
                for (var i = 0; i < n; i++)
                    destination[i] = op.Invoke(x[i], y[i]);
                break;
        }
    }

    /// <summary>The vector width in bytes the driver runs at for <typeparamref name="T"/>: 64, 32, 16, or 0 for scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Width<T>() =>
        Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported ? 64
        : Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported ? 32
        : Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported ? 16
        : 0;

    /// <summary>The last partial vector, padded with zeros.</summary>
    private static Vector512<T> Tail512<T>(ReadOnlySpan<T> rest)
        where T : unmanaged
    {
        Span<T> padded = stackalloc T[Vector512<T>.Count];
        rest.CopyTo(padded);
        return Vector512.Create<T>(padded);
    }

    private static Vector256<T> Tail256<T>(ReadOnlySpan<T> rest)
        where T : unmanaged
    {
        Span<T> padded = stackalloc T[Vector256<T>.Count];
        rest.CopyTo(padded);
        return Vector256.Create<T>(padded);
    }

    private static Vector128<T> Tail128<T>(ReadOnlySpan<T> rest)
        where T : unmanaged
    {
        Span<T> padded = stackalloc T[Vector128<T>.Count];
        rest.CopyTo(padded);
        return Vector128.Create<T>(padded);
    }

    /// <summary>Writes the first <paramref name="destination"/>.Length lanes of a tail vector.</summary>
    private static void StoreTail<T>(this Vector512<T> lanes, Span<T> destination)
        where T : unmanaged
    {
        Span<T> all = stackalloc T[Vector512<T>.Count];
        lanes.CopyTo(all);
        all[..destination.Length].CopyTo(destination);
    }

    private static void StoreTail<T>(this Vector256<T> lanes, Span<T> destination)
        where T : unmanaged
    {
        Span<T> all = stackalloc T[Vector256<T>.Count];
        lanes.CopyTo(all);
        all[..destination.Length].CopyTo(destination);
    }

    private static void StoreTail<T>(this Vector128<T> lanes, Span<T> destination)
        where T : unmanaged
    {
        Span<T> all = stackalloc T[Vector128<T>.Count];
        lanes.CopyTo(all);
        all[..destination.Length].CopyTo(destination);
    }

    private static void RequireSameShape(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Shape != y.Shape || x.DType != y.DType)
            throw new ArgumentException($"An element-wise function of several tensors needs one shape and dtype but got {x.Shape} ({x.DType.Name()}) and {y.Shape} ({y.DType.Name()}).");
    }

    private static void RequireLength(int expected, int actual)
    {
        if (expected != actual)
            throw new ArgumentException($"Element-wise spans must have one length but got {expected} and {actual}.");
    }
}
