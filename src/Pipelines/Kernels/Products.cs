using Pipelines.Tensors;

namespace Pipelines.Kernels;

/// <summary>Matrix products on tensors, dispatched on dtype to the GEMM kernels.</summary>
public static class Products
{
    /// <summary>The matrix product of [m, k] and [k, n], like <c>torch.mm</c>.</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank != 2 || b.Rank != 2 || a.Shape[1] != b.Shape[0])
            throw new ArgumentException($"MatMul expects [m, k] and [k, n] but got {a.Shape} and {b.Shape}.");
        RequireSameDType("MatMul", a, b);
        var (m, k, n) = (a.Shape[0], a.Shape[1], b.Shape[1]);
        return a.DType == DType.Float32
            ? Run<float>(new Shape(m, n), c => PlainGemm.Multiply(a.Span<float>(), b.Span<float>(), default, c, m, k, n))
            : Run<double>(new Shape(m, n), c => PlainGemm.Multiply(a.Span<double>(), b.Span<double>(), default, c, m, k, n));
    }

    /// <summary>x[m, k]·w[n, k]ᵀ + bias[n]: the forward product of a linear layer, with the weight as stored.</summary>
    internal static Tensor MultiplyTransposed(Tensor x, Tensor w, Tensor? bias, Shape resultShape)
    {
        var (m, k, n) = (x.Shape.LeadingCount, x.Shape.Last, w.Shape[0]);
        return x.DType == DType.Float32
            ? Run<float>(resultShape, c => PlainGemm.MultiplyTransposed(x.Span<float>(), w.Span<float>(), bias is null ? default : bias.Span<float>(), c, m, k, n))
            : Run<double>(resultShape, c => PlainGemm.MultiplyTransposed(x.Span<double>(), w.Span<double>(), bias is null ? default : bias.Span<double>(), c, m, k, n));
    }

    /// <summary>dy[m, n]·w[n, k]: the input gradient of a linear layer.</summary>
    internal static Tensor Multiply(Tensor dy, Tensor w, Shape resultShape)
    {
        var (m, n, k) = (dy.Shape.LeadingCount, dy.Shape.Last, w.Shape[1]);
        return dy.DType == DType.Float32
            ? Run<float>(resultShape, c => PlainGemm.Multiply(dy.Span<float>(), w.Span<float>(), default, c, m, n, k))
            : Run<double>(resultShape, c => PlainGemm.Multiply(dy.Span<double>(), w.Span<double>(), default, c, m, n, k));
    }

    /// <summary>dy[r, n]ᵀ·x[r, k] summed over the r rows: the weight gradient of a linear layer.</summary>
    internal static Tensor TransposeMultiply(Tensor dy, Tensor x)
    {
        var (r, n, k) = (dy.Shape.LeadingCount, dy.Shape.Last, x.Shape.Last);
        return dy.DType == DType.Float32
            ? Run<float>(new Shape(n, k), c => PlainGemm.TransposeMultiply(dy.Span<float>(), x.Span<float>(), c, r, n, k))
            : Run<double>(new Shape(n, k), c => PlainGemm.TransposeMultiply(dy.Span<double>(), x.Span<double>(), c, r, n, k));
    }

    internal static void RequireSameDType(string operation, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{operation} needs operands of one dtype but got {a.DType.Name()} and {b.DType.Name()}; convert one with To().");
    }

    private delegate void Fill<T>(Span<T> destination);

    private static Tensor Run<T>(Shape shape, Fill<T> fill)
        where T : unmanaged
    {
        var result = GC.AllocateUninitializedArray<T>(shape.ElementCount);
        fill(result);
        return Tensor.Own(result, shape);
    }
}
