using System.Runtime.InteropServices;
using Pipelines.Tensors;

namespace Pipelines.Orleans;

/// <summary>A tensor on the wire: its dtype, its shape and its elements' bytes (little-endian, as the machines are), copied once each way.</summary>
[GenerateSerializer]
internal struct TensorSurrogate
{
    /// <summary>The dtype's number (<see cref="DType"/>).</summary>
    [Id(0)]
    public int DType;

    /// <summary>The extents.</summary>
    [Id(1)]
    public int[] Dims;

    /// <summary>The elements in row-major order, as bytes.</summary>
    [Id(2)]
    public byte[] Data;
}

/// <summary>Lets grain calls take and return <see cref="Tensor"/>s: Orleans writes the surrogate's byte array in one piece.</summary>
[RegisterConverter]
internal sealed class TensorSurrogateConverter : IConverter<Tensor, TensorSurrogate>
{
    public Tensor ConvertFromSurrogate(in TensorSurrogate surrogate)
    {
        var shape = new Shape(surrogate.Dims);
        return (DType)surrogate.DType switch
        {
            Tensors.DType.Float32 => Tensor.FromSpan(MemoryMarshal.Cast<byte, float>(surrogate.Data), shape),
            Tensors.DType.Float64 => Tensor.FromSpan(MemoryMarshal.Cast<byte, double>(surrogate.Data), shape),
            Tensors.DType.Int64 => Tensor.FromSpan(MemoryMarshal.Cast<byte, long>(surrogate.Data), shape),
            var other => throw new ArgumentException($"A tensor arrived with dtype number {(int)other}, which this version of Pipelines does not know."),
        };
    }

    public TensorSurrogate ConvertToSurrogate(in Tensor value) => new()
    {
        DType = (int)value.DType,
        Dims = value.Shape.Dims.ToArray(),
        Data = value.DType switch
        {
            Tensors.DType.Float32 => MemoryMarshal.AsBytes(value.AsSpan<float>()).ToArray(),
            Tensors.DType.Float64 => MemoryMarshal.AsBytes(value.AsSpan<double>()).ToArray(),
            _ => MemoryMarshal.AsBytes(value.AsSpan<long>()).ToArray(),
        },
    };
}
