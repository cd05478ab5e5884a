using Pipelines.Kernels.Gemm;
using Pipelines.Tensors;
using Engine = Pipelines.Kernels.Gemm.Gemm;

namespace Pipelines.Kernels;

/// <summary>Matrix products on tensors, dispatched on dtype to the GEMM engine.</summary>
public static unsafe class Products
{
    /// <summary>The matrix product of [m, k] and [k, n], like <c>torch.mm</c>.</summary>
    /// <param name="a">The left factor, [m, k].</param>
    /// <param name="b">The right factor, [k, n], of the same dtype.</param>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank != 2 || b.Rank != 2 || a.Shape[1] != b.Shape[0])
            throw new ArgumentException($"MatMul expects [m, k] and [k, n] but got {a.Shape} and {b.Shape}.");
        RequireSameDType("MatMul", a, b);
        var (m, k, n) = (a.Shape[0], a.Shape[1], b.Shape[1]);
        return a.DType == DType.Float32 ? MatMul<float>(a, b, m, k, n) : MatMul<double>(a, b, m, k, n);
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

    private static Tensor MatMul<T>(Tensor a, Tensor b, int m, int k, int n)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var c = GC.AllocateUninitializedArray<T>(m * n);
        Engine.Multiply<T>(a.Span<T>(), Math.Max(1, k), b.Span<T>(), Math.Max(1, n), c, Math.Max(1, n), m, n, k);
        return Tensor.Own(c, new Shape(m, n));
    }

    private static Tensor WithWeight<T>(Tensor x, Tensor w, bool transposed, Tensor? bias, Shape resultShape)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var c = GC.AllocateUninitializedArray<T>(resultShape.ElementCount);
        WithWeightInto<T>(x.Span<T>(), x.Shape.LeadingCount, w, transposed, bias, c);
        return Tensor.Own(c, resultShape);
    }

    /// <summary>
    /// x[rows, k]·op(W) (+ bias) into <paramref name="c"/>, with W's packed form cached beside it from its second use:
    /// the product a layer runs, without the output allocation (the benchmarks time it against BLAS on preallocated outputs).
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
}
