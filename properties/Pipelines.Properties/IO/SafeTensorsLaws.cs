using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.IO;

/// <summary>A file's worth of entries, each a name, a dtype, a shape and random bits (NaN payloads included).</summary>
public sealed record SafeTensorsCase(SafeTensorsFile File, string Description)
{
    public override string ToString() => Description;
}

/// <summary>A header written by hand with hostile pieces: lone surrogate escapes, numbers past every limit, very long names.</summary>
public sealed record HostileHeader(string Json, byte[] Data)
{
    public byte[] Bytes
    {
        get
        {
            var header = Encoding.UTF8.GetBytes(Json);
            return [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. Data];
        }
    }

    public override string ToString() => Json.Length > 300 ? Json[..300] + "…" : Json;
}

public static class SafeTensorsArbitraries
{
    private static readonly SafeTensorDType[] DTypes = Enum.GetValues<SafeTensorDType>();

    public static Arbitrary<SafeTensorsCase> Files() =>
        (from count in Gen.Choose(0, 5)
         from entries in Gen.ArrayOf(Entry, count)
         from withMetadata in Gen.Elements(true, false)
         where entries.Select(e => e.Name).Distinct().Count() == entries.Length
         select new SafeTensorsCase(
             new SafeTensorsFile(entries.Select(e => KeyValuePair.Create(e.Name, e.Tensor)), withMetadata ? [KeyValuePair.Create("format", "pt"), KeyValuePair.Create("note", "ünïcödé ✓")] : null),
             string.Join("; ", entries.Select(e => $"{e.Name}: {e.Tensor.DType.HeaderName()} {e.Tensor.Shape}")))).ToArbitrary();

    /// <summary>Headers a hostile or broken writer could produce: each piece valid JSON, the whole breaking some rule of the format.</summary>
    public static Arbitrary<HostileHeader> Hostile()
    {
        var name = Gen.Elements("a", "\\ud800", "x\\udfffy", "\\ud800\\ud800", new string('n', 4000), "__metadata__");
        var dtype = Gen.Elements("\"F32\"", "\"I64\"", "\"F\\udc00\"", "\"U8\"", "3", "null", "\"F8_E4M3\"");
        var number = Gen.Elements("0", "1", "4", "-1", "1e3", "9223372036854775807", "18446744073709551616", "1152921504606846976", "4294967296");
        var entry = from n in name
                    from d in dtype
                    from s1 in number
                    from s2 in number
                    from b in number
                    from e in number
                    from extra in Gen.Elements(string.Empty, ",\"extra\":{\"nested\":[1,2]}", ",\"dtype\":\"F32\"")
                    select $"\"{n}\":{{\"dtype\":{d},\"shape\":[{s1},{s2}],\"data_offsets\":[{b},{e}]{extra}}}";
        var metadata = Gen.Elements(string.Empty, "\"__metadata__\":null,", "\"__metadata__\":{\"\\ud800\":\"v\"},", "\"__metadata__\":{\"k\":\"\\udfff\"},", "\"__metadata__\":{\"k\":1},", "\"__metadata__\":[],");
        return (from m in metadata
                from entries in Gen.ArrayOf(entry, 1)
                from data in Gen.Choose(0, 16).Select(n => new byte[n])
                select new HostileHeader("{" + m + string.Join(",", entries) + "}", data)).ToArbitrary();
    }

    private static Gen<(string Name, SafeTensor Tensor)> Entry =>
        from name in Gen.Elements("weight", "0.bias", "encoder.2.weight", "x", "ключ", "a b", "__meta", "")
        from dtype in Gen.Elements(DTypes)
        from rank in Gen.Choose(0, 4)
        from dims in Gen.ArrayOf(Gen.Elements(0, 1, 2, 4, 8), rank)
        from seed in Gen.Choose(0, int.MaxValue)
        select (name, RandomEntry(dtype, new Shape(dims), seed));

    /// <summary>Random bytes of the entry's size (booleans 0 or 1); extents are multiples that keep packed 4- and 6-bit floats whole bytes.</summary>
    private static SafeTensor RandomEntry(SafeTensorDType dtype, Shape shape, int seed)
    {
        var count = (long)shape.ElementCount * dtype.Bits() % 8 == 0 ? shape : new Shape(shape.ElementCount * 4);
        var bytes = new byte[(long)count.ElementCount * dtype.Bits() / 8];
        new Random(seed).NextBytes(bytes);
        if (dtype == SafeTensorDType.Bool)
        {
            for (var i = 0; i < bytes.Length; i++)
                bytes[i] &= 1;
        }
        return new SafeTensor(dtype, count, bytes);
    }
}

[Properties(Arbitrary = [typeof(SafeTensorsArbitraries)], MaxTest = 200)]
public sealed class SafeTensorsLaws
{
    [Property]
    public Property Load_of_save_is_the_identity_bitwise(SafeTensorsCase c)
    {
        var loaded = SafeTensors.Parse(SafeTensors.Serialize(c.File));
        return SameContents(c.File, loaded).Label(c.Description);
    }

    /// <summary>The same through a file, streamed both ways, with and without the checksum.</summary>
    [Property(MaxTest = 40)]
    public Property Save_then_load_through_a_file_is_the_identity_bitwise(SafeTensorsCase c, bool checksum)
    {
        var path = Path.Combine(Path.GetTempPath(), $"law-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, c.File, checksum);
            var loaded = SafeTensors.Load(path);
            return (SameEntries(c.File, loaded) && loaded.Metadata.ContainsKey(SafeTensors.ChecksumKey) == checksum).Label(c.Description);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Property]
    public Property Float_tensors_round_trip_bitwise_through_Tensor(int seed, PositiveInt size)
    {
        var f32 = BitsTensor(seed, size.Get % 40, DType.Float32);
        var f64 = BitsTensor(seed + 1, size.Get % 40, DType.Float64);
        var loaded = SafeTensors.Parse(SafeTensors.Serialize(SafeTensorsFile.FromTensors([KeyValuePair.Create("a", f32), KeyValuePair.Create("b", f64)])));
        return (loaded.Tensor("a").BitwiseEquals(f32) && loaded.Tensor("b").BitwiseEquals(f64)).ToProperty();
    }

    [Property(MaxTest = 60)]
    public Property A_file_truncated_at_any_byte_is_rejected(SafeTensorsCase c)
    {
        var bytes = SafeTensors.Serialize(c.File);
        var everyPrefixRejected = Enumerable.Range(0, bytes.Length).All(length => Rejects(bytes.AsSpan(0, length).ToArray()));
        return everyPrefixRejected.Label(c.Description);
    }

    /// <summary>
    /// Random bytes written over the length field and the header give the documented format error or a file that obeys
    /// every rule (it re-serialises to itself), never another exception, and never an allocation sized by a corrupted
    /// number rather than by the file.
    /// </summary>
    [Property(MaxTest = 1000)]
    public Property Corrupted_headers_give_the_format_error_or_a_valid_file(SafeTensorsCase c, int seed, PositiveInt flips)
    {
        var bytes = SafeTensors.Serialize(c.File);
        var headerEnd = 8 + (int)BitConverter.ToUInt64(bytes, 0);
        var random = new Random(seed);
        for (var i = 0; i < 1 + (flips.Get % 4); i++)
            bytes[random.Next(headerEnd)] = random.Next(4) == 0 ? (byte)random.Next(256) : (byte)"{}[]\",:0123456789 eE-.\\u"[random.Next(24)];
        return FormatErrorOrValid(bytes, c.Description);
    }

    /// <summary>Hand-written hostile headers give the format error or a valid file, and TryLoad returns them as values, whatever they hold.</summary>
    [Property(MaxTest = 500)]
    public Property Hostile_headers_give_the_format_error_and_TryLoad_never_throws(HostileHeader h)
    {
        var path = Path.Combine(Path.GetTempPath(), $"hostile-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, h.Bytes);
            var result = SafeTensors.TryLoad(path);
            var model = StateDict.TryLoad(new Linear(Tensor.Zeros(new Shape(1, 1))), path);
            var failuresAreOurs = (result.IsSuccess || result.Failure.Exception is SafeTensorsFormatException) && (model.IsSuccess || model.Failure.Exception is SafeTensorsFormatException or StateDictMismatchException);
            return FormatErrorOrValid(h.Bytes, h.ToString()).And(failuresAreOurs.Label($"{h}: {result} / {model}"));
        }
        catch (Exception e)
        {
            return false.Label($"{h}: TryLoad threw {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// The format has no checksum, so a changed data byte loads as a different tensor without complaint; a file saved with
    /// the opt-in checksum refuses to load instead, naming the checksum.
    /// </summary>
    [Property(MaxTest = 100)]
    public Property A_corrupted_payload_byte_is_caught_only_by_the_opt_in_checksum(int seed)
    {
        var file = SafeTensorsFile.FromTensors([KeyValuePair.Create("w", Tensor.Normal(new Key((ulong)(uint)seed), new Shape(4, 3)))]);
        var path = Path.Combine(Path.GetTempPath(), $"payload-{Guid.NewGuid():N}.safetensors");
        try
        {
            var outcomes = new[] { false, true }.Select(checksum =>
            {
                SafeTensors.Save(path, file, checksum);
                var bytes = File.ReadAllBytes(path);
                var at = bytes.Length - 1 - new Random(seed).Next(48);
                bytes[at] ^= (byte)(1 << new Random(seed + 1).Next(8));
                File.WriteAllBytes(path, bytes);
                return SafeTensors.TryLoad(path);
            }).ToArray();
            var plainLoads = outcomes[0].IsSuccess && !outcomes[0].Value.Tensor("w").BitwiseEquals(file.Tensor("w"));
            var checkedFails = outcomes[1].Failure?.Message.Contains("SHA-256 does not match", StringComparison.Ordinal) == true;
            return (plainLoads && checkedFails).Label($"{outcomes[0]} / {outcomes[1]}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Property FormatErrorOrValid(byte[] bytes, string description)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var parsed = SafeTensors.Parse(bytes);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            var reparsed = SafeTensors.Parse(SafeTensors.Serialize(parsed));
            return (SameContents(parsed, reparsed) && allocated < (64L * bytes.Length) + 1_000_000).Label($"{description}: allocated {allocated} bytes for a {bytes.Length}-byte file");
        }
        catch (SafeTensorsFormatException)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            return (allocated < (64L * bytes.Length) + 1_000_000).Label($"allocated {allocated} bytes rejecting a {bytes.Length}-byte file");
        }
    }

    private static bool Rejects(byte[] bytes)
    {
        try
        {
            SafeTensors.Parse(bytes);
            return false;
        }
        catch (SafeTensorsFormatException)
        {
            return true;
        }
    }

    private static bool SameContents(SafeTensorsFile a, SafeTensorsFile b) => SameEntries(a, b) && a.Metadata.SequenceEqual(b.Metadata);

    private static bool SameEntries(SafeTensorsFile a, SafeTensorsFile b) =>
        a.Tensors.Count == b.Tensors.Count
        && a.Tensors.All(e => b.Tensors.TryGetValue(e.Key, out var other) && other.DType == e.Value.DType && other.Shape == e.Value.Shape && other.Bytes.SequenceEqual(e.Value.Bytes));

    private static Tensor BitsTensor(int seed, int count, DType dtype)
    {
        var bytes = new byte[count * dtype.Size()];
        new Random(seed).NextBytes(bytes);
        return dtype == DType.Float32
            ? Tensor.FromSpan(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes), new Shape(count))
            : Tensor.FromSpan(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes), new Shape(count));
    }
}
