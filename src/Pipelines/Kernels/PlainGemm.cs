using System.Numerics;

namespace Pipelines.Kernels;

/// <summary>
/// The three products a linear layer needs, written plainly on row-major spans: every output row is
/// built by adding scaled rows of the right-hand matrix in a fixed order, so row i of a result depends
/// only on row i of the left-hand operand. That makes results bitwise independent of batch size,
/// of how rows are split across threads and of memory alignment. The cache-blocked SIMD engine
/// replaces these under the same contract.
/// </summary>
internal static class PlainGemm
{
    // Below this many multiply-adds a product stays on the calling thread: scheduling costs microseconds.
    private const long ParallelThreshold = 1L << 20;

    /// <summary>C[m,n] = A[m,k]·B[n,k]ᵀ (+ bias row when given): the forward product with the weight as stored.</summary>
    public static void MultiplyTransposed<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int k, int n)
        where T : unmanaged, INumber<T>
    {
        var bt = new T[k * n];
        for (var row = 0; row < n; row++)
        {
            for (var col = 0; col < k; col++)
                bt[(col * n) + row] = b[(row * k) + col];
        }
        Multiply<T>(a, bt, bias, c, m, k, n);
    }

    /// <summary>C[m,n] = A[m,k]·B[k,n] (+ bias row when given): the input gradient dY·W.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int k, int n)
        where T : unmanaged, INumber<T>
    {
        if (!bias.IsEmpty && bias.Length != n)
            throw new ArgumentException($"Bias of length {bias.Length} does not match {n} output columns.", nameof(bias));
        var work = (long)m * k * n;
        if (work < ParallelThreshold || m < 2)
        {
            MultiplyRows(a, b, bias, c, 0, m, k, n);
            return;
        }
        var aArray = a.ToArray();
        var bArray = b.ToArray();
        var biasArray = bias.ToArray();
        var result = new T[m * n];
        var chunks = Math.Min(m, Environment.ProcessorCount * 4);
        Parallel.For(0, chunks, chunk =>
        {
            var start = (int)((long)m * chunk / chunks);
            var end = (int)((long)m * (chunk + 1) / chunks);
            MultiplyRows<T>(aArray, bArray, biasArray, result, start, end, k, n);
        });
        result.CopyTo(c);
    }

    /// <summary>C[m,n] = A[k,m]ᵀ·B[k,n]: the weight gradient dYᵀ·X, summed over the k rows in order.</summary>
    public static void TransposeMultiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int k, int m, int n)
        where T : unmanaged, INumber<T>
    {
        c[..(m * n)].Clear();
        for (var r = 0; r < k; r++)
        {
            var bRow = b.Slice(r * n, n);
            for (var i = 0; i < m; i++)
                MultiplyAdd(a[(r * m) + i], bRow, c.Slice(i * n, n));
        }
    }

    private static void MultiplyRows<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int start, int end, int k, int n)
        where T : unmanaged, INumber<T>
    {
        for (var i = start; i < end; i++)
        {
            var row = c.Slice(i * n, n);
            if (bias.IsEmpty)
                row.Clear();
            else
                bias.CopyTo(row);
            var aRow = a.Slice(i * k, k);
            for (var p = 0; p < k; p++)
                MultiplyAdd(aRow[p], b.Slice(p * n, n), row);
        }
    }

    /// <summary>y += s·x element by element (multiply then add, never fused, so every element rounds the same way).</summary>
    private static void MultiplyAdd<T>(T s, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, INumber<T>
    {
        var j = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var scale = new Vector<T>(s);
            for (; j <= x.Length - Vector<T>.Count; j += Vector<T>.Count)
            {
                var sum = new Vector<T>(y[j..]) + (scale * new Vector<T>(x[j..]));
                sum.CopyTo(y[j..]);
            }
        }
        for (; j < x.Length; j++)
            y[j] += s * x[j];
    }
}
