using System.Numerics;
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
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
            Run<TOperator, Vector512Ops<T>, Vector512<T>, T>(op, x, destination);
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            Run<TOperator, Vector256Ops<T>, Vector256<T>, T>(op, x, destination);
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
            Run<TOperator, Vector128Ops<T>, Vector128<T>, T>(op, x, destination);
        else
            Run<TOperator, ScalarOps<T>, T, T>(op, x, destination);
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
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
            Run<TOperator, Vector512Ops<T>, Vector512<T>, T>(op, x, y, destination);
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            Run<TOperator, Vector256Ops<T>, Vector256<T>, T>(op, x, y, destination);
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
            Run<TOperator, Vector128Ops<T>, Vector128<T>, T>(op, x, y, destination);
        else
            Run<TOperator, ScalarOps<T>, T, T>(op, x, y, destination);
    }

    /// <summary>Whole vectors, then the last partial one computed as a whole vector on a zero-padded copy.</summary>
    private static void Run<TOperator, TOps, TVector, T>(TOperator op, ReadOnlySpan<T> x, Span<T> destination)
        where TOperator : struct, IUnaryOperator<T>
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref var xs = ref MemoryMarshal.GetReference(x);
        ref var ds = ref MemoryMarshal.GetReference(destination);
        var (n, w) = (x.Length, TOps.Count);
        var i = 0;
        for (; i <= n - w; i += w)
            TOps.Store(op.Invoke<TOps, TVector>(TOps.Load(ref xs, i)), ref ds, i);
        if (i == n)
            return;
        Span<T> padded = stackalloc T[w];
        padded.Clear();
        x[i..].CopyTo(padded);
        ref var ps = ref MemoryMarshal.GetReference(padded);
        TOps.Store(op.Invoke<TOps, TVector>(TOps.Load(ref ps, 0)), ref ps, 0);
        padded[..(n - i)].CopyTo(destination[i..]);
    }

    /// <summary>Whole vectors, then the last partial pair computed as whole vectors on zero-padded copies.</summary>
    private static void Run<TOperator, TOps, TVector, T>(TOperator op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where TOperator : struct, IBinaryOperator<T>
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref var xs = ref MemoryMarshal.GetReference(x);
        ref var ys = ref MemoryMarshal.GetReference(y);
        ref var ds = ref MemoryMarshal.GetReference(destination);
        var (n, w) = (x.Length, TOps.Count);
        var i = 0;
        for (; i <= n - w; i += w)
            TOps.Store(op.Invoke<TOps, TVector>(TOps.Load(ref xs, i), TOps.Load(ref ys, i)), ref ds, i);
        if (i == n)
            return;
        Span<T> padded = stackalloc T[2 * w];
        padded.Clear();
        var px = padded[..w];
        var py = padded[w..];
        x[i..].CopyTo(px);
        y[i..].CopyTo(py);
        ref var pxs = ref MemoryMarshal.GetReference(px);
        TOps.Store(op.Invoke<TOps, TVector>(TOps.Load(ref pxs, 0), TOps.Load(ref MemoryMarshal.GetReference(py), 0)), ref pxs, 0);
        px[..(n - i)].CopyTo(destination[i..]);
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
