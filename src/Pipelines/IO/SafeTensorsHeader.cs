using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Unicode;
using LanguageExt;
using LanguageExt.Common;
using Pipelines.Tensors;
using static LanguageExt.Prelude;

namespace Pipelines.IO;

/// <summary>One tensor as the header describes it: where its bytes lie in the data section.</summary>
internal sealed record HeaderEntry(string Name, SafeTensorDType DType, Shape Shape, long Begin, long End);

/// <summary>
/// A safetensors header, parsed as a stream of JSON tokens (no document is built, so a hostile 100 MB header costs about
/// its own size) and checked against the data section's length before any tensor is allocated. Every rule it breaks comes
/// back as a failure value naming the rule; nothing here throws on any input.
/// </summary>
internal sealed record SafeTensorsHeader(ImmutableArray<HeaderEntry> Entries, ImmutableSortedDictionary<string, string> Metadata)
{
    /// <summary>The longest piece of a name from the file that a message quotes.</summary>
    private const int QuotedLength = 200;

    /// <summary>The most dimensions (and offsets) a header may list for one tensor.</summary>
    private const int MaxNumbers = 64;

    /// <summary>Parses <paramref name="json"/> and checks that its entries tile a data section of <paramref name="dataLength"/> bytes exactly.</summary>
    public static Fin<SafeTensorsHeader> Parse(ReadOnlySpan<byte> json, long dataLength, string source)
    {
        if (json.IsEmpty || json[0] != (byte)'{')
            return Fail<SafeTensorsHeader>(source, "the header must start with '{'");
        if (!Utf8.IsValid(json))
            return Fail<SafeTensorsHeader>(source, "the header is not valid UTF-8");
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            return ParseObject(ref reader, source).Bind(header => CheckLayout(header, dataLength, source));
        }
        catch (JsonException e)
        {
            return Fail<SafeTensorsHeader>(source, $"the header is not valid JSON ({e.Message})");
        }
    }

    /// <summary>The format error for a broken rule, as a failure value.</summary>
    public static Fin<T> Fail<T>(string source, string rule) =>
        FinFail<T>(Error.New(new SafeTensorsFormatException($"Not a valid safetensors file ({source}): {rule}.")));

    /// <summary>A name from the file as messages show it: at most a few hundred characters.</summary>
    public static string Quote(string name) =>
        name.Length <= QuotedLength ? $"'{name}'" : $"'{name[..QuotedLength]}…' ({name.Length} characters)";

    private static Fin<SafeTensorsHeader> ParseObject(ref Utf8JsonReader reader, string source)
    {
        reader.Read();
        var entries = ImmutableArray.CreateBuilder<HeaderEntry>();
        var metadata = ImmutableSortedDictionary<string, string>.Empty;
        var seen = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!TryReadString(ref reader, out var key))
                return Fail<SafeTensorsHeader>(source, LoneSurrogate("a tensor name"));
            if (!seen.Add(key))
                return Fail<SafeTensorsHeader>(source, $"the header names {Quote(key)} twice");
            reader.Read();
            if (key == SafeTensors.MetadataKey)
            {
                var parsed = ParseMetadata(ref reader, source);
                if (parsed.IsFail)
                    return (Error)parsed;
                metadata = (ImmutableSortedDictionary<string, string>)parsed;
                continue;
            }
            var entry = ParseEntry(ref reader, key, source);
            if (entry.IsFail)
                return (Error)entry;
            entries.Add((HeaderEntry)entry);
        }
        // Reading past the object throws on anything but whitespace (the padding) after it.
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            return Fail<SafeTensorsHeader>(source, "the header has content after its object");
        return FinSucc(new SafeTensorsHeader(entries.ToImmutable(), metadata));
    }

    /// <summary><c>__metadata__</c>: an object of strings, or null for none (as the reference implementation accepts).</summary>
    private static Fin<ImmutableSortedDictionary<string, string>> ParseMetadata(ref Utf8JsonReader reader, string source)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return ImmutableSortedDictionary<string, string>.Empty;
        if (reader.TokenType != JsonTokenType.StartObject)
            return Fail<ImmutableSortedDictionary<string, string>>(source, $"'{SafeTensors.MetadataKey}' must be an object of strings but is {reader.TokenType}");
        var metadata = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!TryReadString(ref reader, out var key))
                return Fail<ImmutableSortedDictionary<string, string>>(source, LoneSurrogate("a metadata key"));
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                return Fail<ImmutableSortedDictionary<string, string>>(source, $"'{SafeTensors.MetadataKey}' entry {Quote(key)} must be a string but is {reader.TokenType}");
            if (!TryReadString(ref reader, out var value))
                return Fail<ImmutableSortedDictionary<string, string>>(source, LoneSurrogate($"the metadata value of {Quote(key)}"));
            if (!metadata.TryAdd(key, value))
                return Fail<ImmutableSortedDictionary<string, string>>(source, $"'{SafeTensors.MetadataKey}' names {Quote(key)} twice");
        }
        return metadata.ToImmutable();
    }

    /// <summary>A tensor entry: dtype, shape and data_offsets (each once), unknown extra fields ignored as the reference implementation ignores them.
    /// The numbers are read onto the stack and field names compared as UTF-8, so an entry allocates only what it keeps.</summary>
    private static Fin<HeaderEntry> ParseEntry(ref Utf8JsonReader reader, string name, string source)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            return Fail<HeaderEntry>(source, $"tensor {Quote(name)} must be described by an object but is {reader.TokenType}");
        SafeTensorDType? dtype = null;
        string? unknownDType = null;
        Span<long> dims = stackalloc long[MaxNumbers];
        Span<long> offsets = stackalloc long[MaxNumbers];
        int rank = -1, offsetCount = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!TryReadField(ref reader, out var field))
                return Fail<HeaderEntry>(source, LoneSurrogate($"a field of tensor {Quote(name)}"));
            reader.Read();
            if ((field == Field.DType && (dtype is not null || unknownDType is not null)) || (field == Field.Shape && rank >= 0) || (field == Field.DataOffsets && offsetCount >= 0))
                return Fail<HeaderEntry>(source, $"tensor {Quote(name)} gives '{FieldName(field)}' twice");
            switch (field)
            {
                case Field.DType:
                    if (reader.TokenType != JsonTokenType.String)
                        return Fail<HeaderEntry>(source, $"tensor {Quote(name)} needs a string 'dtype'");
                    if (!TryReadDType(ref reader, out dtype, out unknownDType))
                        return Fail<HeaderEntry>(source, LoneSurrogate($"the dtype of tensor {Quote(name)}"));
                    break;
                case Field.Shape:
                    var shapeRead = ReadIntegers(ref reader, dims, name, "shape", source);
                    if (shapeRead.IsFail)
                        return (Error)shapeRead;
                    rank = (int)shapeRead;
                    break;
                case Field.DataOffsets:
                    var offsetsRead = ReadIntegers(ref reader, offsets, name, "data_offsets", source);
                    if (offsetsRead.IsFail)
                        return (Error)offsetsRead;
                    offsetCount = (int)offsetsRead;
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if ((dtype is null && unknownDType is null) || rank < 0 || offsetCount < 0)
            return Fail<HeaderEntry>(source, $"tensor {Quote(name)} needs 'dtype', 'shape' and 'data_offsets'");
        dims = dims[..rank];
        offsets = offsets[..offsetCount];
        if (dtype is not { } known)
            return Fail<HeaderEntry>(source, $"tensor {Quote(name)} has unknown dtype {Quote(unknownDType!)} (known: {string.Join(", ", Enum.GetValues<SafeTensorDType>().Select(d => d.HeaderName()))})");
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            return Fail<HeaderEntry>(source, $"tensor {Quote(name)} needs data_offsets [begin, end] with begin <= end but has [{string.Join(", ", offsets.ToArray())}]");
        long count = 1;
        foreach (var d in dims)
        {
            if (d > int.MaxValue || (count *= d) > System.Array.MaxLength)
                return Fail<HeaderEntry>(source, $"tensor {Quote(name)} of shape [{string.Join(", ", dims.ToArray())}] has more elements than an array can hold");
        }
        if (count * known.Bits() % 8 != 0)
            return Fail<HeaderEntry>(source, $"tensor {Quote(name)} is {count} {known.HeaderName()} values of {known.Bits()} bits, which is not a whole number of bytes");
        var bytes = count * known.Bits() / 8;
        if (bytes != offsets[1] - offsets[0])
            return Fail<HeaderEntry>(source, $"tensor {Quote(name)} is {known.HeaderName()} of shape [{string.Join(", ", dims.ToArray())}], which is {bytes} bytes, but its data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]} bytes");
        var shape = new int[rank];
        for (var i = 0; i < rank; i++)
            shape[i] = (int)dims[i];
        return new HeaderEntry(name, known, new Shape(shape), offsets[0], offsets[1]);
    }

    /// <summary>The fields of a tensor entry that mean something; any other is skipped.</summary>
    private enum Field
    {
        Other,
        DType,
        Shape,
        DataOffsets,
    }

    private static string FieldName(Field field) => field switch
    {
        Field.DType => "dtype",
        Field.Shape => "shape",
        Field.DataOffsets => "data_offsets",
        _ => "an unknown field",
    };

    /// <summary>Which field a property name is, compared as UTF-8; an escaped name is decoded first, so a lone surrogate in it is still refused.</summary>
    private static bool TryReadField(ref Utf8JsonReader reader, out Field field)
    {
        if (reader.ValueIsEscaped)
        {
            var known = TryReadString(ref reader, out var text);
            field = text switch
            {
                "dtype" => Field.DType,
                "shape" => Field.Shape,
                "data_offsets" => Field.DataOffsets,
                _ => Field.Other,
            };
            return known;
        }
        field = reader.ValueTextEquals("dtype"u8) ? Field.DType
            : reader.ValueTextEquals("shape"u8) ? Field.Shape
            : reader.ValueTextEquals("data_offsets"u8) ? Field.DataOffsets
            : Field.Other;
        return true;
    }

    /// <summary>The dtype a string token names, matched as UTF-8 (no string for the common case), or the text it gave when it names none.</summary>
    private static bool TryReadDType(ref Utf8JsonReader reader, out SafeTensorDType? dtype, out string? unknown)
    {
        (dtype, unknown) = (null, null);
        if (!reader.ValueIsEscaped && SafeTensorDTypeExtensions.TryParse(reader.ValueSpan, out var matched))
        {
            dtype = matched;
            return true;
        }
        if (!TryReadString(ref reader, out var text))
            return false;
        if (SafeTensorDTypeExtensions.TryParse(text, out matched))
            dtype = matched;
        else
            unknown = text;
        return true;
    }

    /// <summary>Reads a JSON array of non-negative integers into <paramref name="numbers"/>, returning how many there were.</summary>
    private static Fin<int> ReadIntegers(ref Utf8JsonReader reader, scoped Span<long> numbers, string name, string field, string source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            return Fail<int>(source, $"tensor {Quote(name)} needs an array '{field}'");
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var number) || number < 0)
                return Fail<int>(source, $"tensor {Quote(name)} has a '{field}' element that is not a non-negative integer");
            if (count == numbers.Length)
                return Fail<int>(source, $"tensor {Quote(name)} has a '{field}' with more than {numbers.Length} elements");
            numbers[count++] = number;
        }
        return count;
    }

    /// <summary>A string token, or false: a lone surrogate escape (<c>"\ud800"</c>) is valid JSON but no string. Callers word the
    /// failure themselves, so a header of millions of good strings builds no messages.</summary>
    private static bool TryReadString(ref Utf8JsonReader reader, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        try
        {
            value = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = null;
            return false;
        }
    }

    private static string LoneSurrogate(string what) => $"{what} is not valid Unicode (it escapes a lone surrogate)";

    /// <summary>The data must be tiled exactly by the entries, in offset order, from byte 0 to the end of the file.</summary>
    private static Fin<SafeTensorsHeader> CheckLayout(SafeTensorsHeader header, long dataLength, string source)
    {
        var ordered = header.Entries.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var entry in ordered)
        {
            if (entry.Begin != expected)
            {
                return Fail<SafeTensorsHeader>(source, entry.Begin < expected
                    ? $"tensor {Quote(entry.Name)} at bytes [{entry.Begin}, {entry.End}) overlaps the tensor before it, which ends at {expected}"
                    : $"tensor {Quote(entry.Name)} starts at byte {entry.Begin}, leaving a gap after byte {expected}");
            }
            expected = entry.End;
        }
        if (expected != dataLength)
        {
            return Fail<SafeTensorsHeader>(source, expected > dataLength
                ? $"the tensors need {expected} bytes of data but the file has {dataLength} after the header (truncated?)"
                : $"the tensors use {expected} bytes of data but the file has {dataLength} after the header");
        }
        return header with { Entries = ordered };
    }
}
