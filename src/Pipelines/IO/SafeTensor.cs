using System.Buffers.Binary;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>
/// One named entry of a safetensors file as stored: its dtype, shape and little-endian bytes.
/// Convert with <see cref="ToTensor()"/> (floats exactly) or <see cref="ToInt64Array"/> (integers).
/// </summary>
public sealed class SafeTensor
{
    private readonly ReadOnlyMemory<byte> _data;

    /// <summary>An entry from raw little-endian bytes; the byte count must be the shape's element count × the dtype's size.</summary>
    /// <param name="dtype">The stored element type.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="data">The bytes.</param>
    public SafeTensor(SafeTensorDType dtype, Shape shape, ReadOnlyMemory<byte> data)
    {
        if ((long)shape.ElementCount * dtype.Size() != data.Length)
            throw new ArgumentException($"A {dtype.HeaderName()} tensor of shape {shape} needs {(long)shape.ElementCount * dtype.Size()} bytes but got {data.Length}.", nameof(data));
        DType = dtype;
        Shape = shape;
        _data = data;
    }

    /// <summary>The stored element type.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>The stored shape.</summary>
    public Shape Shape { get; }

    /// <summary>The stored little-endian bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _data.Span;

    /// <summary>An F32, F64 or I64 entry holding a tensor's elements, by its dtype.</summary>
    /// <param name="tensor">The tensor.</param>
    public static SafeTensor FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.DType switch
        {
            Tensors.DType.Float32 => new SafeTensor(SafeTensorDType.F32, tensor.Shape, LittleEndianBytes(tensor.AsSpan<float>())),
            Tensors.DType.Float64 => new SafeTensor(SafeTensorDType.F64, tensor.Shape, LittleEndianBytes(tensor.AsSpan<double>())),
            _ => new SafeTensor(SafeTensorDType.I64, tensor.Shape, LittleEndianBytes(tensor.AsSpan<long>())),
        };
    }

    /// <summary>An I64 entry, e.g. class indices.</summary>
    /// <param name="values">The integers in row-major order.</param>
    /// <param name="shape">The shape.</param>
    public static SafeTensor FromInt64(ReadOnlySpan<long> values, Shape shape) => new(SafeTensorDType.I64, shape, LittleEndianBytes(values));

    /// <summary>
    /// The entry as a tensor of its natural type: F64 gives float64; F32, F16 and BF16 give float32 (exactly: every F16 and
    /// BF16 value is a float32 value); integer and boolean entries give int64 (exactly).
    /// </summary>
    public Tensor ToTensor() => ToTensor(
        DType is SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16 ? Tensors.DType.Float32
        : DType.IsInteger() ? Tensors.DType.Int64
        : Tensors.DType.Float64);

    /// <summary>
    /// The entry converted to a tensor of <paramref name="dtype"/>: floats rounded once when narrowing, integers exactly
    /// into int64 (and to the nearest float otherwise), floats into int64 by truncation toward zero.
    /// </summary>
    /// <param name="dtype">The element type of the result.</param>
    public Tensor ToTensor(DType dtype)
    {
        var bytes = Bytes;
        var count = Shape.ElementCount;
        if (DType.IsInteger())
        {
            var integers = new long[count];
            for (var i = 0; i < count; i++)
                integers[i] = ReadInteger(bytes, i);
            return Tensor.FromSpan(integers, Shape).To(dtype);
        }
        if (DType == SafeTensorDType.F64)
        {
            var wide = new double[count];
            for (var i = 0; i < count; i++)
                wide[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
            return Tensor.FromSpan(wide, Shape).To(dtype);
        }
        var values = new float[count];
        for (var i = 0; i < count; i++)
            values[i] = ReadSingle(bytes, i);
        return Tensor.FromSpan(values, Shape).To(dtype);
    }

    /// <summary>The elements of an integer or boolean entry.</summary>
    public long[] ToInt64Array()
    {
        if (!DType.IsInteger())
            throw new InvalidOperationException($"ToInt64Array needs an integer or boolean entry but this one is {DType.HeaderName()}; use ToTensor().");
        var values = new long[Shape.ElementCount];
        for (var i = 0; i < values.Length; i++)
            values[i] = ReadInteger(Bytes, i);
        return values;
    }

    private float ReadSingle(ReadOnlySpan<byte> bytes, int i) => DType switch
    {
        SafeTensorDType.F32 => BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]),
        SafeTensorDType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]),
        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) << 16),
    };

    private long ReadInteger(ReadOnlySpan<byte> bytes, int i) => DType switch
    {
        SafeTensorDType.I64 => BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]),
        SafeTensorDType.I32 => BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]),
        _ => bytes[i],
    };

    /// <summary>The elements as little-endian bytes, whatever this machine's byte order.</summary>
    private static byte[] LittleEndianBytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            for (var i = 0; i < bytes.Length; i += size)
                bytes.AsSpan(i, size).Reverse();
        }
        return bytes;
    }
}
