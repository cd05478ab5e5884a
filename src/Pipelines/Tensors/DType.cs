namespace Pipelines.Tensors;

/// <summary>The element type of a <see cref="Tensor"/>.</summary>
public enum DType
{
    /// <summary>IEEE 754 single precision, the working type (PyTorch's <c>torch.float32</c>).</summary>
    Float32,

    /// <summary>IEEE 754 double precision, used for gradient checks (PyTorch's <c>torch.float64</c>).</summary>
    Float64,

    /// <summary>
    /// Signed 64-bit integers (PyTorch's <c>torch.int64</c>): class-index targets and counters such as
    /// <c>num_batches_tracked</c>. They can be created, viewed, gathered, compared, converted and saved; arithmetic needs a float dtype.
    /// </summary>
    Int64,
}

/// <summary>Names and sizes of <see cref="DType"/> values.</summary>
public static class DTypeExtensions
{
    /// <summary>The PyTorch spelling, e.g. <c>float32</c>.</summary>
    /// <param name="dtype">The element type.</param>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int64 => "int64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>Bytes per element.</summary>
    /// <param name="dtype">The element type.</param>
    public static int Size(this DType dtype) => dtype == DType.Float32 ? sizeof(float) : sizeof(double);

    /// <summary>True for <see cref="DType.Float32"/> and <see cref="DType.Float64"/>, the types arithmetic runs in.</summary>
    /// <param name="dtype">The element type.</param>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>The dtype whose elements are <typeparamref name="T"/>.</summary>
    internal static DType Of<T>() =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(long) ? DType.Int64
        : throw new NotSupportedException($"Tensors hold float, double or long, not {typeof(T).Name}.");
}
