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

    /// <summary>dy[r, n]ᵀ·x[r, k] summed over the r rows: the weight gradient of a linear layer.</summary>
    internal static Tensor TransposeMultiply(Tensor dy, Tensor x) => dy.DType == DType.Float32
        ? TransposeMultiply<float>(dy, x)
        : TransposeMultiply<double>(dy, x);

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
    /// x[rows, k]·op(W) (+ bias) into <paramref name="c"/> with W's packed form cached beside it: the product a layer
    /// runs, without the output allocation (the benchmarks time it against BLAS on preallocated outputs).
    /// </summary>
    internal static void WithWeightInto<T>(ReadOnlySpan<T> x, int rows, Tensor w, bool transposed, Tensor? bias, Span<T> c)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var options = default(GemmOptions);
        var packed = PackedWeights.For<T>(w, transposed, options.ResolvedWidth);
        var inner = packed.Rows;
        if (x.Length < (long)rows * inner || c.Length < (long)rows * packed.Cols)
            throw new ArgumentException($"x must hold [{rows}, {inner}] and c [{rows}, {packed.Cols}] but they have {x.Length} and {c.Length} elements.");
        fixed (T* px = x, pc = c)
        {
            var a = new MatrixView<T>(px, rows, inner, inner, 1);
            // The packed weight stands in for B; the view only carries its shape.
            var b = new MatrixView<T>(null, packed.Rows, packed.Cols, 0, 0);
            Engine.Run(a, b, packed, pc, packed.Cols, bias is null ? default : bias.Span<T>(), accumulate: false, options);
        }
    }

    private static Tensor TransposeMultiply<T>(Tensor dy, Tensor x)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (r, n, k) = (dy.Shape.LeadingCount, dy.Shape.Last, x.Shape.Last);
        var c = GC.AllocateUninitializedArray<T>(n * k);
        Engine.TransposeMultiply<T>(dy.Span<T>(), Math.Max(1, n), x.Span<T>(), Math.Max(1, k), c, Math.Max(1, k), n, k, r);
        return Tensor.Own(c, new Shape(n, k));
    }
}
