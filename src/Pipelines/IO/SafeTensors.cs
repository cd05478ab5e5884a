using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Win32.SafeHandles;
using static LanguageExt.Prelude;

namespace Pipelines.IO;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, a JSON header of N bytes mapping each
/// name to its <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> (plus an optional <c>__metadata__</c> map of strings), then
/// the tensors' little-endian bytes, packed with no gap or overlap. Reading checks the header against the file's length
/// before it allocates anything sized by a number from the file, then reads each tensor into its own storage; writing
/// streams each tensor from its storage; so files over 2 GiB work and a hostile file costs what its header says.
/// </summary>
/// <remarks>
/// The format has no checksum: a changed byte in the data section loads as a different model. <see cref="Save(string, SafeTensorsFile, bool)"/>
/// can record the data's SHA-256 in <c>__metadata__</c> under <see cref="ChecksumKey"/>, which <see cref="Load"/> verifies when present.
/// </remarks>
public static class SafeTensors
{
    /// <summary>The reserved header key for the metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The metadata key of the opt-in checksum: the lowercase hex SHA-256 of the data section.</summary>
    public const string ChecksumKey = "pipelines.sha256";

    /// <summary>Largest header accepted, as in the reference implementation: 100 MB.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Reads a file; throws <see cref="SafeTensorsFormatException"/> naming the broken rule, or the I/O error.</summary>
    /// <param name="path">The file.</param>
    public static SafeTensorsFile Load(string path) => Read(path).Match(file => file, error => throw error.ToException());

    /// <summary>Reads a file, returning any failure (a broken rule, a missing file, a checksum mismatch) as a value; it never throws.</summary>
    /// <param name="path">The file.</param>
    public static Result<SafeTensorsFile> TryLoad(string path) =>
        Read(path).Match(Result.Success, error => Result.Fail<SafeTensorsFile>(Failure.From(error.ToException())));

    /// <summary>Reads safetensors bytes held in memory; throws <see cref="SafeTensorsFormatException"/> naming the broken rule.</summary>
    /// <param name="bytes">The whole file.</param>
    public static SafeTensorsFile Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8)
            throw Format("buffer", $"it is {bytes.Length} bytes long, but a safetensors file starts with an 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var prefix = CheckPrefix(headerLength, bytes.Length, "buffer");
        if (prefix.IsFail)
            throw ((Error)prefix).ToException();
        var dataStart = 8 + (long)headerLength;
        var header = SafeTensorsHeader.Parse(bytes.Slice(8, (int)headerLength), bytes.Length - dataStart, "buffer");
        if (header.IsFail)
            throw ((Error)header).ToException();
        var data = bytes[(int)dataStart..].ToArray();
        var file = Assemble((SafeTensorsHeader)header, (offset, destination) => Copy(data, offset, destination), null);
        return file.Match(f => f, error => throw error.ToException());
    }

    /// <summary>The bytes of a file, with entries in ordinal name order and the header padded to 8 bytes; for files under 2 GiB (use Save for larger).</summary>
    /// <param name="file">The file's contents.</param>
    public static byte[] Serialize(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var stream = new MemoryStream();
        Write(stream, file);
        return stream.ToArray();
    }

    /// <summary>
    /// Writes a file atomically and in a stream (each tensor from its own storage, so any size works): a crash leaves the
    /// old file or the new one, and the next save removes what a killed one left.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="file">The contents.</param>
    /// <param name="checksum">Record the data's SHA-256 in the metadata, for <see cref="Load"/> to verify.</param>
    public static void Save(string path, SafeTensorsFile file, bool checksum = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        var contents = checksum ? file.WithMetadata(ChecksumKey, Checksum(file)) : file;
        AtomicFile.Write(path, stream => Write(stream, contents));
    }

    /// <summary>Writes float and int64 tensors by name (F32, F64 or I64 by their dtype), atomically.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">String metadata, or null for none.</param>
    /// <param name="checksum">Record the data's SHA-256 in the metadata.</param>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensors.Tensor>> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null, bool checksum = false) =>
        Save(path, SafeTensorsFile.FromTensors(tensors, metadata), checksum);

    /// <summary>The file's data section's SHA-256 as lowercase hex, as <see cref="ChecksumKey"/> records it.</summary>
    /// <param name="file">The contents.</param>
    public static string Checksum(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var entry in file.Tensors.Values)
            entry.WriteTo(Stream.Null, hash.AppendData);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Write(Stream stream, SafeTensorsFile file)
    {
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (!file.Metadata.IsEmpty)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in file.Metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, entry) in file.Tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", entry.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (var d in entry.Shape.Dims)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + entry.ByteCount);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += entry.ByteCount;
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0)
            header.WriteByte((byte)' ');
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var entry in file.Tensors.Values)
            entry.WriteTo(stream, null);
    }

    /// <summary>The whole read as one value: any I/O error or broken rule becomes the failure.</summary>
    private static Fin<SafeTensorsFile> Read(string path)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(path);
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            var length = RandomAccess.GetLength(handle);
            if (length < 8)
                return SafeTensorsHeader.Fail<SafeTensorsFile>(path, $"it is {length} bytes long, but a safetensors file starts with an 8-byte header length");
            Span<byte> prefix = stackalloc byte[8];
            Fill(handle, 0, prefix);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            return from _ in CheckPrefix(headerLength, length, path)
                   from header in SafeTensorsHeader.Parse(ReadHeader(handle, (int)headerLength), length - 8 - (long)headerLength, path)
                   from file in Assemble(header, (offset, destination) => RandomAccess.Read(handle, destination, 8 + (long)headerLength + offset), path)
                   select file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return FinFail<SafeTensorsFile>(Error.New(e));
        }
    }

    /// <summary>A header length must fit the 100 MB limit and the file: checked before anything is allocated for it.</summary>
    private static Fin<Unit> CheckPrefix(ulong headerLength, long fileLength, string source)
    {
        if (headerLength > MaxHeaderBytes)
            return SafeTensorsHeader.Fail<Unit>(source, $"the header length {headerLength} is over the {MaxHeaderBytes}-byte limit");
        if ((long)headerLength > fileLength - 8)
            return SafeTensorsHeader.Fail<Unit>(source, $"the header length {headerLength} goes beyond the end of the file ({fileLength} bytes)");
        return unit;
    }

    private static byte[] ReadHeader(SafeFileHandle handle, int length)
    {
        var header = GC.AllocateUninitializedArray<byte>(length);
        Fill(handle, 8, header);
        return header;
    }

    /// <summary>Reads every entry in file order into its own storage, verifying the opt-in checksum on the way when the metadata has one.</summary>
    private static Fin<SafeTensorsFile> Assemble(SafeTensorsHeader header, Func<long, Span<byte>, int> read, string? source)
    {
        header.Metadata.TryGetValue(ChecksumKey, out var expected);
        using var hash = expected is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Action<ReadOnlySpan<byte>>? observe = hash is null ? null : hash.AppendData;
        var tensors = header.Entries
            .Select(e => KeyValuePair.Create(e.Name, SafeTensor.Read(e.DType, e.Shape, e.Begin, read, observe)))
            .ToList();
        if (hash is not null && !string.Equals(Convert.ToHexStringLower(hash.GetHashAndReset()), expected, StringComparison.OrdinalIgnoreCase))
            return SafeTensorsHeader.Fail<SafeTensorsFile>(source ?? "buffer", $"the data's SHA-256 does not match the checksum in '{ChecksumKey}': the tensor bytes changed after the file was saved");
        return new SafeTensorsFile(tensors, header.Metadata);
    }

    private static void Fill(SafeFileHandle handle, long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var count = RandomAccess.Read(handle, destination, offset);
            if (count == 0)
                throw new EndOfStreamException("The file ended early; it changed while being read.");
            destination = destination[count..];
            offset += count;
        }
    }

    private static int Copy(byte[] data, long start, Span<byte> destination)
    {
        data.AsSpan((int)start, destination.Length).CopyTo(destination);
        return destination.Length;
    }

    private static SafeTensorsFormatException Format(string source, string rule) => new($"Not a valid safetensors file ({source}): {rule}.");
}
