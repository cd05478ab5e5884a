using System.Buffers.Binary;
using System.IO.Compression;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (Y. LeCun): two zero bytes, a type byte, a rank byte, the extents as
/// big-endian int32, then the values big-endian. Files may be gzipped, as they are distributed. Integer values come as
/// int64 and floating values as float32/float64, unless a dtype is asked for (images usually want float32). A plain
/// file's header is checked against its length before anything is allocated; a gzipped one is read in chunks, so a
/// lying header fails when the data runs out.
/// </summary>
public static class Idx
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>The tensor in an IDX file (plain or gzipped); a <see cref="DataSetFormatException"/> names the broken rule.</summary>
    /// <param name="path">The file.</param>
    /// <param name="dtype">The tensor's dtype; null for int64 (integer types) or the file's float type. Values must convert exactly.</param>
    public static Tensor Read(string path, DType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        var gzipped = file.Read(magic) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        file.Position = 0;
        using var input = gzipped ? new GZipStream(file, CompressionMode.Decompress) : (Stream)new BufferedStream(file, 1 << 16);
        var (size, type, dims) = ReadHeader(input, path);
        var count = dims.Aggregate(1L, (a, d) => a * d);
        if (!gzipped && file.Length - 4 - (4L * dims.Length) != count * size)
            throw Format(path, $"the header declares [{string.Join(", ", dims)}] of {size}-byte values ({count * size} bytes) but the file holds {file.Length - 4 - (4L * dims.Length)} after the header");
        var target = dtype ?? (type is 0x0D ? DType.Float32 : type is 0x0E ? DType.Float64 : DType.Int64);
        var shape = new Shape(dims);
        return target switch
        {
            DType.Float32 => Tensor.Own(ReadValues<float>(input, (int)count, size, type, path), shape),
            DType.Float64 => Tensor.Own(ReadValues<double>(input, (int)count, size, type, path), shape),
            _ => Tensor.Own(ReadValues<long>(input, (int)count, size, type, path), shape),
        };
    }

    /// <summary>The tensor in an IDX file, or the failure: never throws, whatever the file holds.</summary>
    /// <param name="path">The file.</param>
    /// <param name="dtype">The tensor's dtype, as for <see cref="Read"/>.</param>
    public static Result<Tensor> TryRead(string path, DType? dtype = null)
    {
        try
        {
            return Result.Success(Read(path, dtype));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or FormatException or InvalidDataException)
        {
            return Result.Fail<Tensor>(Failure.From(e));
        }
    }

    private static (int Size, byte Type, int[] Dims) ReadHeader(Stream input, string path)
    {
        Span<byte> header = stackalloc byte[4];
        Fill(input, header, path, "the 4-byte magic number");
        if (header[0] != 0 || header[1] != 0)
            throw Format(path, $"an IDX file starts with two zero bytes but this one starts with 0x{header[0]:X2} 0x{header[1]:X2}");
        var size = header[2] switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw Format(path, $"type byte 0x{header[2]:X2} is none of IDX's 0x08 (ubyte), 0x09 (sbyte), 0x0B (short), 0x0C (int), 0x0D (float), 0x0E (double)"),
        };
        var extents = new byte[4 * header[3]];
        Fill(input, extents, path, $"its {header[3]} extents");
        var dims = new int[header[3]];
        long count = 1;
        for (var d = 0; d < dims.Length; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(extents.AsSpan(4 * d));
            if (dims[d] < 0 || (count *= dims[d]) > Array.MaxLength)
                throw Format(path, $"extent {d} is {dims[d]}: negative, or more elements than a tensor can hold");
        }
        return (size, header[2], dims);
    }

    private static T[] ReadValues<T>(Stream input, int count, int size, byte type, string path)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        var perChunk = ChunkBytes / size;
        var buffer = new byte[Math.Min((long)count, perChunk) * size];
        var chunks = new List<T[]>();
        for (var start = 0; start < count; start += perChunk)
        {
            var length = Math.Min(perChunk, count - start);
            Fill(input, buffer.AsSpan(0, length * size), path, $"values {start} to {start + length - 1} of {count}");
            var chunk = new T[length];
            for (var i = 0; i < length; i++)
                chunk[i] = Convert<T>(buffer.AsSpan(i * size, size), type, start + i, path);
            chunks.Add(chunk);
        }
        // Only now, with every value read, is the whole tensor allocated: a header cannot make us allocate data it does not have.
        var values = GC.AllocateUninitializedArray<T>(count);
        for (var c = 0; c < chunks.Count; c++)
            chunks[c].CopyTo(values, c * perChunk);
        return values;
    }

    private static T Convert<T>(ReadOnlySpan<byte> bytes, byte type, long index, string path)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        double value = type switch
        {
            0x08 => bytes[0],
            0x09 => (sbyte)bytes[0],
            0x0B => BinaryPrimitives.ReadInt16BigEndian(bytes),
            0x0C => BinaryPrimitives.ReadInt32BigEndian(bytes),
            0x0D => BinaryPrimitives.ReadSingleBigEndian(bytes),
            _ => BinaryPrimitives.ReadDoubleBigEndian(bytes),
        };
        var converted = T.CreateTruncating(value);
        if (!double.IsNaN(value) && double.CreateTruncating(converted) != value)
            throw Format(path, $"value {index} is {value}, which the requested {typeof(T).Name} cannot hold exactly");
        return converted;
    }

    private static void Fill(Stream input, Span<byte> destination, string path, string what)
    {
        if (input.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) < destination.Length)
            throw Format(path, $"the file ends before {what}");
    }

    private static DataSetFormatException Format(string path, string rule) => new($"Not a valid IDX file ({path}): {rule}.");
}
