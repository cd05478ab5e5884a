using System.Numerics;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// The three matrix products of a linear layer on row-major spans with leading dimensions, in float32 or float64,
/// each with a fused epilogue: add a bias row, or accumulate into C. Every element of C is computed as
/// <c>c = init; c = fma(a, b, c)</c> over the reduction in order, so results are bitwise the same for any
/// thread count, batch size or vector width.
/// </summary>
public static unsafe class Gemm
{
    /// <summary><c>C[m,n] = A[m,k]·B[n,k]ᵀ</c> (+ bias[n], or + C): the forward product with a weight as stored.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="a">A, row-major.</param>
    /// <param name="lda">A's leading dimension (elements between rows).</param>
    /// <param name="b">B, row-major.</param>
    /// <param name="ldb">B's leading dimension.</param>
    /// <param name="c">C, written (or added to).</param>
    /// <param name="ldc">C's leading dimension.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The reduction length.</param>
    /// <param name="bias">A row of n added to every row of C; empty for none.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="options">Threads and vector width; the defaults use the thread budget and the widest width.</param>
    public static void MultiplyTransposed<T>(ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int m, int n, int k, ReadOnlySpan<T> bias = default, bool accumulate = false, GemmOptions options = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Sizes(m, n, k);
        Check.Operand("A", a, m, k, lda);
        Check.Operand("B", b, n, k, ldb);
        fixed (T* pa = a, pb = b)
            Run(new MatrixView<T>(pa, m, k, lda, 1), new MatrixView<T>(pb, n, k, ldb, 1).Transposed, c, ldc, bias, accumulate, options);
    }

    /// <summary><c>C[m,n] = A[m,k]·B[k,n]</c> (+ bias[n], or + C): the input gradient <c>dY·W</c>.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="a">A, row-major.</param>
    /// <param name="lda">A's leading dimension (elements between rows).</param>
    /// <param name="b">B, row-major.</param>
    /// <param name="ldb">B's leading dimension.</param>
    /// <param name="c">C, written (or added to).</param>
    /// <param name="ldc">C's leading dimension.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The reduction length.</param>
    /// <param name="bias">A row of n added to every row of C; empty for none.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="options">Threads and vector width; the defaults use the thread budget and the widest width.</param>
    public static void Multiply<T>(ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int m, int n, int k, ReadOnlySpan<T> bias = default, bool accumulate = false, GemmOptions options = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Sizes(m, n, k);
        Check.Operand("A", a, m, k, lda);
        Check.Operand("B", b, k, n, ldb);
        fixed (T* pa = a, pb = b)
            Run(new MatrixView<T>(pa, m, k, lda, 1), new MatrixView<T>(pb, k, n, ldb, 1), c, ldc, bias, accumulate, options);
    }

    /// <summary><c>C[m,n] = A[k,m]ᵀ·B[k,n]</c> (+ bias[n], or + C): the weight gradient <c>dYᵀ·X</c>, summed over the k rows.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="a">A, row-major.</param>
    /// <param name="lda">A's leading dimension (elements between rows).</param>
    /// <param name="b">B, row-major.</param>
    /// <param name="ldb">B's leading dimension.</param>
    /// <param name="c">C, written (or added to).</param>
    /// <param name="ldc">C's leading dimension.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The reduction length.</param>
    /// <param name="bias">A row of n added to every row of C; empty for none.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="options">Threads and vector width; the defaults use the thread budget and the widest width.</param>
    public static void TransposeMultiply<T>(ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int m, int n, int k, ReadOnlySpan<T> bias = default, bool accumulate = false, GemmOptions options = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Sizes(m, n, k);
        Check.Operand("A", a, k, m, lda);
        Check.Operand("B", b, k, n, ldb);
        fixed (T* pa = a, pb = b)
            Run(new MatrixView<T>(pa, k, m, lda, 1).Transposed, new MatrixView<T>(pb, k, n, ldb, 1), c, ldc, bias, accumulate, options);
    }

    /// <summary>Runs a product whose operands are already views; B may be pre-packed (a layer's cached weights).</summary>
    internal static void Run<T>(MatrixView<T> a, MatrixView<T> b, PackedMatrix<T>? packedB, T* c, nint ldc, ReadOnlySpan<T> bias, bool accumulate, GemmOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var epilogue = accumulate ? Epilogue.Accumulate : bias.IsEmpty ? Epilogue.Overwrite : Epilogue.AddBias;
        fixed (T* pbias = bias)
            GemmDriver.Run(new GemmProblem<T>(a, b, packedB, c, ldc, epilogue, pbias), options.ResolvedWidth, options.ResolvedThreads, options.Blocking);
    }

    private static void Run<T>(MatrixView<T> a, MatrixView<T> b, Span<T> c, int ldc, ReadOnlySpan<T> bias, bool accumulate, GemmOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Operand("C", c, a.Rows, b.Cols, ldc);
        if (!bias.IsEmpty && bias.Length != b.Cols)
            throw new ArgumentException($"The bias must have n = {b.Cols} elements but has {bias.Length}.", nameof(bias));
        if (!bias.IsEmpty && accumulate)
            throw new ArgumentException("A product either adds a bias or accumulates into C, not both.", nameof(accumulate));
        fixed (T* pc = c)
            Run(a, b, null, pc, ldc, bias, accumulate, options);
    }

    private static class Check
    {
        public static void Sizes(int m, int n, int k)
        {
            if (m < 0 || n < 0 || k < 0)
                throw new ArgumentOutOfRangeException(nameof(m), $"Matrix sizes must be non-negative but got m={m}, n={n}, k={k}.");
        }

        /// <summary>A row-major [rows, cols] operand with leading dimension ld must have ld ≥ cols and hold (rows−1)·ld + cols elements.</summary>
        public static void Operand<T>(string name, ReadOnlySpan<T> data, int rows, int cols, int ld)
        {
            if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
                throw new NotSupportedException($"Products run in float or double, not {typeof(T).Name}.");
            if (ld < Math.Max(1, cols))
                throw new ArgumentException($"The leading dimension of {name} ({ld}) must be at least its {cols} columns (and at least 1).", name);
            var needed = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;
            if (data.Length < needed)
                throw new ArgumentException($"{name} is [{rows}, {cols}] with leading dimension {ld}, which needs {needed} elements, but the span has {data.Length}.", name);
        }
    }
}
