using Pipelines.Kernels.Gemm;
using Pipelines.Kernels.Threading;
using Pipelines.Tensors;
using Engine = Pipelines.Kernels.Gemm.Gemm;

namespace Pipelines.Kernels;

/// <summary>Matrix products on tensors, dispatched on dtype to the GEMM engine.</summary>
public static unsafe class Products
{
    /// <summary>
    /// The matrix product of [..., m, k] and [..., k, n], like <c>torch.matmul</c> for operands of rank 2 or more: the
    /// leading axes broadcast, and each matrix of the result is the product of its two matrices, computed as that
    /// product alone would be (bitwise the same for any batch, thread count and vector width).
    /// </summary>
    /// <param name="a">The left factor, [..., m, k].</param>
    /// <param name="b">The right factor, [..., k, n], of the same dtype.</param>
    public static Tensor MatMul(Tensor a, Tensor b) => MatMul(a, b, transposeA: false, transposeB: false);

    /// <summary>op(a)·op(b), where op swaps a factor's last two axes when asked: the products a batched product's backward needs, without copying a transpose.</summary>
    internal static Tensor MatMul(Tensor a, Tensor b, bool transposeA, bool transposeB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (transposeA && transposeB)
            throw new ArgumentException("A product transposes at most one of its factors.");
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"MatMul expects [..., m, k] and [..., k, n] (rank 2 or more) but got {a.Shape} and {b.Shape}.");
        var (m, k) = transposeA ? (a.Shape[-1], a.Shape[-2]) : (a.Shape[-2], a.Shape[-1]);
        var (kb, n) = transposeB ? (b.Shape[-1], b.Shape[-2]) : (b.Shape[-2], b.Shape[-1]);
        if (k != kb)
            throw new ArgumentException($"MatMul expects [..., m, k] and [..., k, n] but got {a.Shape} and {b.Shape}{(transposeA || transposeB ? " (one of them transposed)" : "")}: k is {k} and {kb}.");
        RequireSameDType("MatMul", a, b);
        Shape batch;
        try
        {
            batch = Tensor.BroadcastShapes(new Shape(a.Shape.Dims[..^2]), new Shape(b.Shape.Dims[..^2]));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"MatMul's leading axes do not broadcast: {e.Message}", e);
        }
        var product = new BatchedProduct(m, k, n, transposeA, transposeB);
        return a.DType == DType.Float32 ? product.Run<float>(a, b, batch) : product.Run<double>(a, b, batch);
    }

    /// <summary>x[..., k]·w[n, k]ᵀ + bias[n]: the forward product of a linear layer, with the weight packed once and cached.</summary>
    internal static Tensor MultiplyTransposed(Tensor x, Tensor w, Tensor? bias, Shape resultShape) => x.DType == DType.Float32
        ? WithWeight<float>(x, w, transposed: true, bias, resultShape)
        : WithWeight<double>(x, w, transposed: true, bias, resultShape);

    /// <summary>dy[..., n]·w[n, k]: the input gradient of a linear layer, with the weight packed once and cached.</summary>
    internal static Tensor Multiply(Tensor dy, Tensor w, Shape resultShape) => dy.DType == DType.Float32
        ? WithWeight<float>(dy, w, transposed: false, null, resultShape)
        : WithWeight<double>(dy, w, transposed: false, null, resultShape);

    /// <summary>dy[r, n]ᵀ·x[r, k] summed over the r rows: the weight gradient of a linear layer, written into a donated array when there is one.</summary>
    internal static Tensor TransposeMultiply(Tensor dy, Tensor x, DonatedArrays? donated) => dy.DType == DType.Float32
        ? TransposeMultiply<float>(dy, x, donated)
        : TransposeMultiply<double>(dy, x, donated);

    internal static void RequireSameDType(string operation, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{operation} needs operands of one dtype but got {a.DType.Name()} and {b.DType.Name()}; convert one with To().");
    }

    private static Tensor WithWeight<T>(Tensor x, Tensor w, bool transposed, Tensor? bias, Shape resultShape)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var c = GC.AllocateUninitializedArray<T>(resultShape.ElementCount);
        WithWeightInto<T>(x.Span<T>(), x.Shape.LeadingCount, w, transposed, bias, c);
        return Tensor.Own(c, resultShape);
    }

    /// <summary>
    /// x[rows, k]·op(W) (+ bias) into <paramref name="c"/>, with W's packed form cached beside it once W is used
    /// often (PackedWeights.KeepFromUse): the product a layer runs, without the output allocation (the benchmarks time it against BLAS on preallocated outputs).
    /// </summary>
    internal static void WithWeightInto<T>(ReadOnlySpan<T> x, int rows, Tensor w, bool transposed, Tensor? bias, Span<T> c)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var options = default(GemmOptions);
        var packed = PackedWeights.For<T>(w, transposed, options.ResolvedWidth);
        fixed (T* px = x, pc = c, pw = w.Span<T>())
        {
            var b = PackedWeights.View(pw, w, transposed);
            var inner = b.Rows;
            if (x.Length < (long)rows * inner || c.Length < (long)rows * b.Cols)
                throw new ArgumentException($"x must hold [{rows}, {inner}] and c [{rows}, {b.Cols}] but they have {x.Length} and {c.Length} elements.");
            var a = new MatrixView<T>(px, rows, inner, inner, 1);
            var biasSpan = bias is null ? default : bias.Span<T>();
            if (packed is null && transposed && rows > 0 && (long)rows * (inner + b.Cols) < (long)inner * b.Cols / 2)
                TransposedProduct(a, w, pw, biasSpan, pc, options);
            else
                Engine.Run(a, b, packed, pc, b.Cols, biasSpan, accumulate: false, options);
        }
    }

    /// <summary>
    /// X·Wᵀ (+ bias) for a weight used once, computed as (W·Xᵀ)ᵀ when the batch is small: W is read in place and only
    /// X is packed, so the step's new weight is never transposed; the [out, rows] result is transposed into C instead.
    /// Each element is the same chain of fused multiply-adds (products commute exactly, and the chain starts from the
    /// bias either way), so C is bitwise what the direct product gives.
    /// </summary>
    private static void TransposedProduct<T>(MatrixView<T> x, Tensor w, T* pw, ReadOnlySpan<T> bias, T* c, GemmOptions options)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (rows, outputs, inner) = (x.Rows, w.Shape[0], w.Shape[1]);
        var scratch = new Span<T>(Workspace.Get<T>(Workspace.ResultSlot, (long)outputs * rows), outputs * rows);
        if (!bias.IsEmpty)
        {
            for (var o = 0; o < outputs; o++)
                scratch.Slice(o * rows, rows).Fill(bias[o]);
        }
        fixed (T* pt = scratch)
            Engine.Run(new MatrixView<T>(pw, outputs, inner, inner, 1), x.Transposed, null, pt, rows, default, accumulate: !bias.IsEmpty, options);
        Transposition.Transpose<T>(scratch, outputs, rows, rows, new Span<T>(c, rows * outputs), outputs);
    }

    private static Tensor TransposeMultiply<T>(Tensor dy, Tensor x, DonatedArrays? donated)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (r, n, k) = (dy.Shape.LeadingCount, dy.Shape.Last, x.Shape.Last);
        var c = donated is null ? GC.AllocateUninitializedArray<T>(n * k) : donated.Uninitialized<T>(n * k);
        Engine.TransposeMultiply<T>(dy.Span<T>(), Math.Max(1, n), x.Span<T>(), Math.Max(1, k), c, Math.Max(1, k), n, k, r);
        return Tensor.Own(c, new Shape(n, k));
    }

    /// <summary>
    /// One product per matrix of the broadcast batch. A batch of several is split across the thread budget by matrices,
    /// each product on one thread (attention's many small products would spend more on starting threads than on
    /// arithmetic); a single matrix uses the GEMM's own threading. Either way every element is the same chain of fused
    /// multiply-adds, so the split never changes a bit.
    /// </summary>
    private readonly record struct BatchedProduct(int M, int K, int N, bool TransposeA, bool TransposeB)
    {
        public Tensor Run<T>(Tensor a, Tensor b, Shape batch)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            var c = GC.AllocateUninitializedArray<T>(batch.ElementCount * M * N);
            var aMatrices = Tensor.Arange(new Shape(a.Shape.Dims[..^2]).ElementCount, DType.Int64).Reshape(new Shape(a.Shape.Dims[..^2])).BroadcastTo(batch).ToInt64Array();
            var bMatrices = Tensor.Arange(new Shape(b.Shape.Dims[..^2]).ElementCount, DType.Int64).Reshape(new Shape(b.Shape.Dims[..^2])).BroadcastTo(batch).ToInt64Array();
            var count = batch.ElementCount;
            var product = this;
            if (count == 1)
            {
                product.One<T>(a, b, c, aMatrices[0], bMatrices[0], 0, default);
            }
            else
            {
                var work = (long)count * M * N * Math.Max(1, K);
                ParallelChunks.Run(count, work, 1, (start, end) =>
                {
                    for (var i = start; i < end; i++)
                        product.One<T>(a, b, c, aMatrices[i], bMatrices[i], i, new GemmOptions(Threads: 1));
                });
            }
            return Tensor.Own(c, new Shape([.. batch.Dims, M, N]));
        }

        private void One<T>(Tensor a, Tensor b, T[] c, long aMatrix, long bMatrix, int index, GemmOptions options)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            var (aSize, bSize, cSize) = (M * K, K * N, M * N);
            var left = a.Span<T>().Slice((int)aMatrix * aSize, aSize);
            var right = b.Span<T>().Slice((int)bMatrix * bSize, bSize);
            var result = c.AsSpan(index * cSize, cSize);
            if (TransposeA)
                Engine.TransposeMultiply<T>(left, Math.Max(1, M), right, Math.Max(1, N), result, Math.Max(1, N), M, N, K, options: options);
            else if (TransposeB)
                Engine.MultiplyTransposed<T>(left, Math.Max(1, K), right, Math.Max(1, K), result, Math.Max(1, N), M, N, K, options: options);
            else
                Engine.Multiply<T>(left, Math.Max(1, K), right, Math.Max(1, N), result, Math.Max(1, N), M, N, K, options: options);
        }
    }
}
