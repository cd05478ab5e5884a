using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, a JSON header of
/// N bytes mapping each name to its <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> (plus an optional
/// <c>__metadata__</c> map of strings), then the tensors' little-endian bytes, packed with no gap or overlap.
/// Reading checks every rule before it allocates anything sized by a number from the file.
/// </summary>
public static class SafeTensors
{
    /// <summary>The reserved header key for the metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Largest header accepted, as in the reference implementation: 100 MB.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Reads a file; throws <see cref="SafeTensorsFormatException"/> naming the broken rule.</summary>
    public static SafeTensorsFile Load(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Reads a file, returning the failure as a value instead of throwing.</summary>
    /// <param name="path">The file.</param>
    public static Result<SafeTensorsFile> TryLoad(string path)
    {
        try
        {
            return Result.Success(Load(path));
        }
        catch (Exception e) when (e is SafeTensorsFormatException or IOException or UnauthorizedAccessException)
        {
            return Result.Fail<SafeTensorsFile>(Failure.From(e));
        }
    }

    /// <summary>Reads safetensors bytes held in memory.</summary>
    public static SafeTensorsFile Parse(ReadOnlySpan<byte> bytes) => Parse(bytes, "buffer");

    /// <summary>The bytes of a file, with entries in ordinal name order and the header padded to 8 bytes.</summary>
    public static byte[] Serialize(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var header = new ArrayBufferWriter<byte>();
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
                json.WriteNumberValue(offset + entry.Bytes.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += entry.Bytes.Length;
            }
            json.WriteEndObject();
        }
        var headerLength = (header.WrittenCount + 7) / 8 * 8;
        var dataLength = file.Tensors.Values.Sum(e => (long)e.Bytes.Length);
        var bytes = new byte[8 + headerLength + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerLength);
        header.WrittenSpan.CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + header.WrittenCount, headerLength - header.WrittenCount).Fill((byte)' ');
        var position = 8 + headerLength;
        foreach (var entry in file.Tensors.Values)
        {
            entry.Bytes.CopyTo(bytes.AsSpan(position));
            position += entry.Bytes.Length;
        }
        return bytes;
    }

    /// <summary>
    /// Writes a file atomically: the bytes go to a temporary file beside <paramref name="path"/>, which is
    /// flushed to disk and then renamed over it, so a crash leaves the old file or the new one, never a torn one.
    /// </summary>
    public static void Save(string path, SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = Serialize(file);
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    /// <summary>Writes float tensors by name (F32 or F64 by their dtype), atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null) =>
        Save(path, SafeTensorsFile.FromTensors(tensors, metadata));

    private static SafeTensorsFile Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 8)
            throw Fail(source, $"it is {bytes.Length} bytes long, but a safetensors file starts with an 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes)
            throw Fail(source, $"the header length {headerLength} is over the {MaxHeaderBytes}-byte limit");
        if (headerLength > (ulong)(bytes.Length - 8))
            throw Fail(source, $"the header length {headerLength} goes beyond the end of the file ({bytes.Length} bytes)");
        var header = bytes.Slice(8, (int)headerLength);
        var data = bytes[(8 + (int)headerLength)..];
        var entries = ParseHeader(header, source, out var metadata);
        CheckLayout(entries, data.Length, source);
        var storage = data.ToArray();
        var tensors = entries.Select(e => KeyValuePair.Create(e.Name, new SafeTensor(e.DType, e.Shape, storage.AsMemory((int)e.Begin, (int)(e.End - e.Begin)))));
        return new SafeTensorsFile(tensors, metadata);
    }

    private static List<HeaderEntry> ParseHeader(ReadOnlySpan<byte> header, string source, out List<KeyValuePair<string, string>> metadata)
    {
        metadata = [];
        // JsonDocument checks UTF-8 only when a string is read; check it all here so a bad byte is a format error.
        if (!Utf8.IsValid(header))
            throw Fail(source, "the header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Fail(source, $"the header is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Fail(source, $"the header must be a JSON object but is {document.RootElement.ValueKind}");
            var seen = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
            var entries = new List<HeaderEntry>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Fail(source, $"the header names '{property.Name}' twice");
                if (property.Name == MetadataKey)
                    metadata = ParseMetadata(property.Value, source);
                else
                    entries.Add(ParseEntry(property.Name, property.Value, source));
            }
            return entries;
        }
    }

    private static List<KeyValuePair<string, string>> ParseMetadata(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"'{MetadataKey}' must be an object of strings but is {value.ValueKind}");
        var metadata = new List<KeyValuePair<string, string>>();
        var seen = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Fail(source, $"'{MetadataKey}' entry '{item.Name}' must be a string but is {item.Value.ValueKind}");
            if (!seen.Add(item.Name))
                throw Fail(source, $"'{MetadataKey}' names '{item.Name}' twice");
            metadata.Add(KeyValuePair.Create(item.Name, item.Value.GetString()!));
        }
        return metadata;
    }

    private static HeaderEntry ParseEntry(string name, JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"tensor '{name}' must be described by an object but is {value.ValueKind}");
        JsonElement? dtypeValue = null, shapeValue = null, offsetsValue = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtypeValue is null:
                    dtypeValue = field.Value;
                    break;
                case "shape" when shapeValue is null:
                    shapeValue = field.Value;
                    break;
                case "data_offsets" when offsetsValue is null:
                    offsetsValue = field.Value;
                    break;
                default:
                    throw Fail(source, $"tensor '{name}' has an unexpected or repeated field '{field.Name}' (expected dtype, shape, data_offsets)");
            }
        }
        if (dtypeValue is not { ValueKind: JsonValueKind.String } dtypeText)
            throw Fail(source, $"tensor '{name}' needs a string 'dtype'");
        if (!SafeTensorDTypeExtensions.TryParse(dtypeText.GetString()!, out var dtype))
            throw Fail(source, $"tensor '{name}' has unknown dtype '{dtypeText.GetString()}' (known: F32, F64, F16, BF16, I64, I32, U8, BOOL)");
        var dims = ReadNonNegativeIntegers(shapeValue, name, "shape", source);
        var offsets = ReadNonNegativeIntegers(offsetsValue, name, "data_offsets", source);
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw Fail(source, $"tensor '{name}' needs data_offsets [begin, end] with begin <= end but has [{string.Join(", ", offsets)}]");
        long count = 1;
        foreach (var d in dims)
        {
            if (d > int.MaxValue)
                throw Fail(source, $"tensor '{name}' has an extent {d} beyond what an array can hold");
            count *= d;
            if (count > Array.MaxLength)
                throw Fail(source, $"tensor '{name}' of shape [{string.Join(", ", dims)}] has more elements than an array can hold");
        }
        if (count * dtype.Size() != offsets[1] - offsets[0])
            throw Fail(source, $"tensor '{name}' is {dtype.HeaderName()} of shape [{string.Join(", ", dims)}], which is {count * dtype.Size()} bytes, but its data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]} bytes");
        return new HeaderEntry(name, dtype, new Shape([.. dims.Select(d => (int)d)]), offsets[0], offsets[1]);
    }

    private static long[] ReadNonNegativeIntegers(JsonElement? value, string name, string field, string source)
    {
        if (value is not { ValueKind: JsonValueKind.Array } array)
            throw Fail(source, $"tensor '{name}' needs an array '{field}'");
        var result = new List<long>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var number) || number < 0)
                throw Fail(source, $"tensor '{name}' has a '{field}' element {item.GetRawText()} that is not a non-negative integer");
            result.Add(number);
            if (result.Count > 64)
                throw Fail(source, $"tensor '{name}' has a '{field}' with more than 64 elements");
        }
        return [.. result];
    }

    /// <summary>The data must be tiled exactly by the entries, in offset order, from byte 0 to the end of the file.</summary>
    private static void CheckLayout(List<HeaderEntry> entries, int dataLength, string source)
    {
        long expected = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != expected)
            {
                throw Fail(source, entry.Begin < expected
                    ? $"tensor '{entry.Name}' at bytes [{entry.Begin}, {entry.End}) overlaps the tensor before it, which ends at {expected}"
                    : $"tensor '{entry.Name}' starts at byte {entry.Begin}, leaving a gap after byte {expected}");
            }
            expected = entry.End;
        }
        if (expected != dataLength)
        {
            throw Fail(source, expected > dataLength
                ? $"the tensors need {expected} bytes of data but the file has {dataLength} after the header (truncated?)"
                : $"the tensors use {expected} bytes of data but the file has {dataLength} after the header");
        }
    }

    private static SafeTensorsFormatException Fail(string source, string rule, Exception? inner = null)
    {
        var message = $"Not a valid safetensors file ({source}): {rule}.";
        return inner is null ? new SafeTensorsFormatException(message) : new SafeTensorsFormatException(message, inner);
    }

    private sealed record HeaderEntry(string Name, SafeTensorDType DType, Shape Shape, long Begin, long End);
}
