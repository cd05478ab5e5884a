namespace Pipelines.Tensors;

/// <summary>The element type of a <see cref="Tensor"/>.</summary>
public enum DType
{
    /// <summary>IEEE 754 single precision, the working type (PyTorch's <c>torch.float32</c>).</summary>
    Float32,

    /// <summary>IEEE 754 double precision, used for gradient checks (PyTorch's <c>torch.float64</c>).</summary>
    Float64,
}

/// <summary>Names and sizes of <see cref="DType"/> values.</summary>
public static class DTypeExtensions
{
    /// <summary>The PyTorch spelling, e.g. <c>float32</c>.</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>Bytes per element.</summary>
    public static int Size(this DType dtype) => dtype == DType.Float32 ? sizeof(float) : sizeof(double);
}
