using System.Runtime.InteropServices;
using Pipelines.Tensors;

namespace Pipelines.Serving;

/// <summary>The protocol's names of the element types the library computes with.</summary>
internal static class Datatypes
{
    /// <summary>The protocol's name of <paramref name="type"/>.</summary>
    public static string Name(DType type) => type switch
    {
        DType.Float32 => "FP32",
        DType.Float64 => "FP64",
        DType.Int64 => "INT64",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "The protocol serves FP32, FP64 and INT64 tensors."),
    };

    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    public static int Size(DType type) => type == DType.Float32 ? 4 : 8;

    /// <summary>The elements of <paramref name="tensor"/> as the protocol's raw contents: row-major, little-endian (the machine's order, see <see cref="TensorInput.FromBytes"/>).</summary>
    public static ReadOnlySpan<byte> RawBytes(Tensor tensor) => tensor.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes(tensor.AsSpan<float>()),
        DType.Float64 => MemoryMarshal.AsBytes(tensor.AsSpan<double>()),
        _ => MemoryMarshal.AsBytes(tensor.AsSpan<long>()),
    };
}
