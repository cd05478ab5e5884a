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

    /// <summary>An F32 or F64 entry holding a tensor's elements.</summary>
    public static SafeTensor FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DType == Tensors.DType.Float32)
        {
            var values = tensor.AsSpan<float>();
            var bytes = new byte[values.Length * sizeof(float)];
            for (var i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
            return new SafeTensor(SafeTensorDType.F32, tensor.Shape, bytes);
        }
        var wide = tensor.AsSpan<double>();
        var wideBytes = new byte[wide.Length * sizeof(double)];
        for (var i = 0; i < wide.Length; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(wideBytes.AsSpan(i * sizeof(double)), wide[i]);
        return new SafeTensor(SafeTensorDType.F64, tensor.Shape, wideBytes);
    }

    /// <summary>An I64 entry, e.g. class indices.</summary>
    public static SafeTensor FromInt64(ReadOnlySpan<long> values, Shape shape)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        return new SafeTensor(SafeTensorDType.I64, shape, bytes);
    }

    /// <summary>
    /// The entry as a tensor of its natural type: F64 gives float64; F32, F16 and BF16 give float32 (exactly:
    /// every F16 and BF16 value is a float32 value); integer and boolean entries give float64 (exact up to 2⁵³).
    /// </summary>
    public Tensor ToTensor() => ToTensor(DType is SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16 ? Tensors.DType.Float32 : Tensors.DType.Float64);

    /// <summary>The entry converted to a tensor of <paramref name="dtype"/> (rounded once when narrowing).</summary>
    public Tensor ToTensor(DType dtype)
    {
        var bytes = Bytes;
        var count = Shape.ElementCount;
        if (DType == SafeTensorDType.F32 || DType == SafeTensorDType.F16 || DType == SafeTensorDType.BF16)
        {
            var values = new float[count];
            for (var i = 0; i < count; i++)
                values[i] = ReadSingle(bytes, i);
            return Tensor.FromSpan(values, Shape).To(dtype);
        }
        var wide = new double[count];
        for (var i = 0; i < count; i++)
            wide[i] = DType == SafeTensorDType.F64 ? BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]) : ExactDouble(ReadInteger(bytes, i));
        return Tensor.FromSpan(wide, Shape).To(dtype);
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

    private static double ExactDouble(long value) => Math.Abs(value) <= (1L << 53)
        ? value
        : throw new InvalidOperationException($"The integer {value} has no exact float64 value; read it with ToInt64Array().");
}
