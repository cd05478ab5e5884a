using System.Buffers;
using System.Runtime.InteropServices;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;
using Pipelines.Tensors;

namespace Pipelines.Orleans;

/// <summary>
/// A tensor on the wire: one length-prefixed field holding its dtype, its extents and its elements' bytes
/// (little-endian, as the machines are), written from its storage and read straight into the new tensor's array.
/// A surrogate holding a byte array measured about five times slower: it copied the elements twice more each way.
/// </summary>
[RegisterSerializer]
internal sealed class TensorCodec : IFieldCodec<Tensor>
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, Tensor? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
            return;
        var dims = value!.Shape.Dims;
        var elements = value.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(value.AsSpan<float>()),
            DType.Float64 => MemoryMarshal.AsBytes(value.AsSpan<double>()),
            _ => MemoryMarshal.AsBytes(value.AsSpan<long>()),
        };
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(Tensor), WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)(2 + (4 * dims.Length) + elements.Length));
        writer.WriteByte((byte)value.DType);
        writer.WriteByte((byte)dims.Length);
        writer.Write(MemoryMarshal.AsBytes(dims));
        writer.Write(elements);
    }

    public Tensor ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
            return ReferenceCodec.ReadReference<Tensor, TInput>(ref reader, field)!;
        field.EnsureWireType(WireType.LengthPrefixed);
        var length = reader.ReadVarUInt32();
        var (dtype, rank) = ((DType)reader.ReadByte(), reader.ReadByte());
        var dims = new int[rank];
        reader.ReadBytes(MemoryMarshal.AsBytes(dims.AsSpan()));
        var shape = new Shape(dims);
        var bytes = (int)length - 2 - (4 * rank);
        var result = dtype switch
        {
            DType.Float32 => Read<float, TInput>(ref reader, shape, bytes),
            DType.Float64 => Read<double, TInput>(ref reader, shape, bytes),
            DType.Int64 => Read<long, TInput>(ref reader, shape, bytes),
            _ => throw new ArgumentException($"A tensor arrived with dtype number {(int)dtype}, which this version of Pipelines does not know."),
        };
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }

    private static Tensor Read<T, TInput>(ref Reader<TInput> reader, Shape shape, int bytes)
        where T : unmanaged
    {
        var size = Marshal.SizeOf<T>();
        if (bytes != (long)shape.ElementCount * size)
            throw new ArgumentException($"A tensor of shape {shape} arrived with {bytes} bytes of elements, not {(long)shape.ElementCount * size}.");
        var storage = new T[shape.ElementCount];
        reader.ReadBytes(MemoryMarshal.AsBytes(storage.AsSpan()));
        return Tensor.Own(storage, shape);
    }
}

/// <summary>Tensors are immutable: a call within one silo passes the same object, as it would any immutable value.</summary>
[RegisterCopier]
internal sealed class TensorCopier : IDeepCopier<Tensor>
{
    public Tensor? DeepCopy(Tensor? input, CopyContext context) => input;
}
