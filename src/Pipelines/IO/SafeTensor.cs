using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>
/// One named entry of a safetensors file: its stored dtype, shape and little-endian bytes. F32, F64 and I64 entries are
/// held as the tensor their bytes are (read straight into its storage, written straight from it, any size); every other
/// dtype as bytes. Convert with <see cref="ToTensor()"/> (exactly, into the natural dtype) or <see cref="ToTensor(DType)"/>.
/// </summary>
public sealed class SafeTensor
{
    private readonly Tensor? _values;
    private readonly ReadOnlyMemory<byte> _bytes;

    /// <summary>An entry from raw little-endian bytes; the byte count must be the shape's element count × the dtype's size.</summary>
    /// <param name="dtype">The stored element type.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="data">The bytes.</param>
    public SafeTensor(SafeTensorDType dtype, Shape shape, ReadOnlyMemory<byte> data)
    {
        var expected = ByteCountOf(dtype, shape);
        if (expected != data.Length)
            throw new ArgumentException($"A {dtype.HeaderName()} tensor of shape {shape} needs {expected} bytes but got {data.Length}.", nameof(data));
        (DType, Shape, ByteCount, _bytes) = (dtype, shape, expected, data);
    }

    private SafeTensor(Tensor values)
    {
        (_values, DType, Shape) = (values, values.DType.Stored(), values.Shape);
        ByteCount = ByteCountOf(DType, Shape);
    }

    /// <summary>The stored element type.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>The stored shape.</summary>
    public Shape Shape { get; }

    /// <summary>The number of bytes the entry occupies in the file.</summary>
    public long ByteCount { get; }

    /// <summary>The stored little-endian bytes (a view where possible); entries over 2 GiB can only be streamed by <see cref="SafeTensors.Save(string, SafeTensorsFile, bool)"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _values is null
        ? _bytes.Span
        : ByteCount > Array.MaxLength
            ? throw new InvalidOperationException($"This {DType.HeaderName()} entry of shape {Shape} has {ByteCount} bytes, more than one span can hold; it can be saved (streamed) and converted, not viewed as bytes.")
            : View(0, (int)ByteCount);

    /// <summary>An F32, F64 or I64 entry holding a tensor's elements (the tensor itself, not a copy), by its dtype.</summary>
    /// <param name="tensor">The tensor.</param>
    public static SafeTensor FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new SafeTensor(tensor);
    }

    /// <summary>An I64 entry, e.g. class indices.</summary>
    /// <param name="values">The integers in row-major order.</param>
    /// <param name="shape">The shape.</param>
    public static SafeTensor FromInt64(ReadOnlySpan<long> values, Shape shape) => new(Tensor.FromSpan(values, shape));

    /// <summary>
    /// The entry as a tensor of its natural type, exactly: F64 gives float64; F32, F16, BF16 and the 8-bit floats give
    /// float32 (which holds all their values); integers and booleans give int64 (U64 values above 2⁶³ − 1 are an error).
    /// C64 and the packed 4- and 6-bit floats cannot become tensors.
    /// </summary>
    public Tensor ToTensor() => TryToTensor(out var tensor, out var problem) ? tensor : throw new InvalidOperationException(problem);

    /// <summary>
    /// The entry converted to <paramref name="dtype"/>: floats to floats by rounding once (as PyTorch's <c>copy_</c>);
    /// integers to floats, and floats to int64, only when every value converts exactly, else an error naming the first that does not.
    /// </summary>
    /// <param name="dtype">The element type of the result.</param>
    public Tensor ToTensor(DType dtype) => TryConvert(dtype, out var tensor, out var problem) ? tensor : throw new InvalidOperationException(problem);

    /// <summary>The elements of an integer or boolean entry.</summary>
    public long[] ToInt64Array() => DType.IsInteger()
        ? ToTensor().ToInt64Array()
        : throw new InvalidOperationException($"ToInt64Array needs an integer or boolean entry but this one is {DType.HeaderName()}; use ToTensor().");

    /// <summary>The entry in <paramref name="dtype"/>, or why it cannot be: the check <see cref="StateDict"/> runs on every entry before loading any.</summary>
    internal bool TryConvert(DType dtype, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Tensor? tensor, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        if (!TryToTensor(out var natural, out problem))
        {
            tensor = null;
            return false;
        }
        if (natural.DType == Tensors.DType.Int64 && dtype.IsFloatingPoint())
        {
            var values = natural.AsSpan<long>();
            for (var i = 0; i < values.Length; i++)
            {
                if (!IsExactIn(dtype, values[i]))
                {
                    (tensor, problem) = (null, $"{DType.HeaderName()} element {i} is {values[i]}, which has no exact {dtype.Name()} value");
                    return false;
                }
            }
        }
        if (natural.DType.IsFloatingPoint() && dtype == Tensors.DType.Int64)
        {
            var values = natural.ToFloat64Array();
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i] != Math.Floor(values[i]) || !(values[i] >= -TwoToThe63 && values[i] < TwoToThe63))
                {
                    (tensor, problem) = (null, $"{DType.HeaderName()} element {i} is {values[i]}, which is not an int64 value");
                    return false;
                }
            }
        }
        tensor = natural.To(dtype);
        return true;
    }

    /// <summary>Writes the entry's bytes to <paramref name="stream"/> in slices, so an entry of any size streams without a copy of itself.</summary>
    internal void WriteTo(Stream stream, Action<ReadOnlySpan<byte>>? observe)
    {
        if (_values is null)
        {
            stream.Write(_bytes.Span);
            observe?.Invoke(_bytes.Span);
            return;
        }
        for (long start = 0; start < ByteCount; start += SliceBytes)
        {
            var slice = View(start, (int)Math.Min(SliceBytes, ByteCount - start));
            stream.Write(slice);
            observe?.Invoke(slice);
        }
    }

    /// <summary>An entry read from a file region: F32/F64/I64 straight into a tensor's own storage, other dtypes as bytes.</summary>
    internal static SafeTensor Read(SafeTensorDType dtype, Shape shape, long begin, Func<long, Span<byte>, int> read, Action<ReadOnlySpan<byte>>? observe)
    {
        return dtype switch
        {
            SafeTensorDType.F32 => new SafeTensor(Tensor.Own(ReadValues<float>(shape, begin, read, observe), shape)),
            SafeTensorDType.F64 => new SafeTensor(Tensor.Own(ReadValues<double>(shape, begin, read, observe), shape)),
            SafeTensorDType.I64 => new SafeTensor(Tensor.Own(ReadValues<long>(shape, begin, read, observe), shape)),
            _ => new SafeTensor(dtype, shape, ReadBytes(ByteCountOf(dtype, shape), begin, read, observe)),
        };
    }

    /// <summary>Bytes per entry: element count × bits / 8, which the format requires to be whole.</summary>
    internal static long ByteCountOf(SafeTensorDType dtype, Shape shape) => (long)shape.ElementCount * dtype.Bits() / 8;

    private const int SliceBytes = 1 << 26;

    private static T[] ReadValues<T>(Shape shape, long begin, Func<long, Span<byte>, int> read, Action<ReadOnlySpan<byte>>? observe)
        where T : unmanaged
    {
        // Empty tensors share one array: storage is never written after a tensor owns it.
        var values = shape.ElementCount == 0 ? System.Array.Empty<T>() : GC.AllocateUninitializedArray<T>(shape.ElementCount);
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var perSlice = SliceBytes / size;
        for (var start = 0; start < values.Length; start += perSlice)
        {
            var slice = MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(perSlice, values.Length - start)));
            Fill(slice, begin + ((long)start * size), read);
            observe?.Invoke(slice);
            if (!BitConverter.IsLittleEndian)
                SwapEndianness(slice, size);
        }
        return values;
    }

    private static byte[] ReadBytes(long count, long begin, Func<long, Span<byte>, int> read, Action<ReadOnlySpan<byte>>? observe)
    {
        if (count > Array.MaxLength)
            throw new InvalidOperationException($"An entry of {count} bytes in a dtype other than F32, F64 and I64 cannot be held in memory.");
        var bytes = GC.AllocateUninitializedArray<byte>((int)count);
        Fill(bytes, begin, read);
        observe?.Invoke(bytes);
        return bytes;
    }

    /// <summary>Fills <paramref name="destination"/> from the entry's offset <paramref name="offset"/>, however the reads come back.</summary>
    private static void Fill(Span<byte> destination, long offset, Func<long, Span<byte>, int> read)
    {
        while (!destination.IsEmpty)
        {
            var count = read(offset, destination);
            if (count == 0)
                throw new EndOfStreamException("The file ended before the tensor data its header declares; it changed while being read.");
            destination = destination[count..];
            offset += count;
        }
    }

    private static void SwapEndianness(Span<byte> bytes, int size)
    {
        for (var i = 0; i < bytes.Length; i += size)
            bytes.Slice(i, size).Reverse();
    }

    /// <summary>The tensor's bytes from <paramref name="start"/> for <paramref name="length"/>: a view of its storage on little-endian machines, a swapped copy otherwise.</summary>
    private ReadOnlySpan<byte> View(long start, int length)
    {
        var size = DType.Bits() / 8;
        var (first, count) = ((int)(start / size), length / size);
        var view = _values!.DType switch
        {
            Tensors.DType.Float32 => MemoryMarshal.AsBytes(_values.AsSpan<float>().Slice(first, count)),
            Tensors.DType.Float64 => MemoryMarshal.AsBytes(_values.AsSpan<double>().Slice(first, count)),
            _ => MemoryMarshal.AsBytes(_values.AsSpan<long>().Slice(first, count)),
        };
        if (BitConverter.IsLittleEndian)
            return view;
        var copy = view.ToArray();
        SwapEndianness(copy, size);
        return copy;
    }

    /// <summary>The natural tensor: the held one, or the bytes decoded exactly.</summary>
    private bool TryToTensor([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Tensor? tensor, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        (tensor, problem) = (_values, null);
        if (tensor is not null)
            return true;
        var bytes = _bytes.Span;
        var count = Shape.ElementCount;
        switch (DType.NaturalDType())
        {
            case null:
                problem = $"{DType.HeaderName()} entries cannot become tensors: Pipelines computes in float32, float64 and int64.";
                return false;
            case Tensors.DType.Float64:
                var doubles = GC.AllocateUninitializedArray<double>(count);
                for (var i = 0; i < count; i++)
                    doubles[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
                tensor = Tensor.Own(doubles, Shape);
                break;
            case Tensors.DType.Float32 when DType == SafeTensorDType.F32:
                var singles = GC.AllocateUninitializedArray<float>(count);
                for (var i = 0; i < count; i++)
                    singles[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                tensor = Tensor.Own(singles, Shape);
                break;
            case Tensors.DType.Float32:
                var floats = GC.AllocateUninitializedArray<float>(count);
                var wide = DType.Bits() == 16;
                for (var i = 0; i < count; i++)
                    floats[i] = Minifloat.Decode(DType, wide ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) : bytes[i]);
                tensor = Tensor.Own(floats, Shape);
                break;
            default:
                var integers = GC.AllocateUninitializedArray<long>(count);
                for (var i = 0; i < count; i++)
                {
                    if (!TryReadInteger(bytes, i, out integers[i]))
                    {
                        problem = $"U64 element {i} is {BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..])}, which has no int64 value";
                        return false;
                    }
                }
                tensor = Tensor.Own(integers, Shape);
                break;
        }
        return true;
    }

    private const double TwoToThe63 = 9.2233720368547758e18;

    /// <summary>Whether <paramref name="value"/> survives a round trip through <paramref name="dtype"/>; a value that rounds up to 2⁶³
    /// has no way back (the conversion to long saturates), so it is compared before converting.</summary>
    private static bool IsExactIn(DType dtype, long value)
    {
        var rounded = dtype == Tensors.DType.Float32 ? (float)value : (double)value;
        return rounded < TwoToThe63 && (long)rounded == value;
    }

    private bool TryReadInteger(ReadOnlySpan<byte> bytes, int i, out long value)
    {
        value = DType switch
        {
            SafeTensorDType.I64 => BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]),
            SafeTensorDType.U64 => (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]),
            SafeTensorDType.I32 => BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]),
            SafeTensorDType.U32 => BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * 4)..]),
            SafeTensorDType.I16 => BinaryPrimitives.ReadInt16LittleEndian(bytes[(i * 2)..]),
            SafeTensorDType.U16 => BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]),
            SafeTensorDType.I8 => (sbyte)bytes[i],
            _ => bytes[i],
        };
        return DType != SafeTensorDType.U64 || value >= 0;
    }
}
