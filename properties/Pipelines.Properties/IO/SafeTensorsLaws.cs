using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.IO;
using Pipelines.Tensors;

namespace Pipelines.Properties.IO;

/// <summary>A file's worth of entries, each a name, a dtype, a shape and random bits (NaN payloads included).</summary>
public sealed record SafeTensorsCase(SafeTensorsFile File, string Description)
{
    public override string ToString() => Description;
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

    private static Gen<(string Name, SafeTensor Tensor)> Entry =>
        from name in Gen.Elements("weight", "0.bias", "encoder.2.weight", "x", "ключ", "a b", "__meta", "")
        from dtype in Gen.Elements(DTypes)
        from rank in Gen.Choose(0, 4)
        from dims in Gen.ArrayOf(Gen.Elements(0, 1, 2, 3, 5), rank)
        from seed in Gen.Choose(0, int.MaxValue)
        select (name, RandomEntry(dtype, new Shape(dims), seed));

    private static SafeTensor RandomEntry(SafeTensorDType dtype, Shape shape, int seed)
    {
        var bytes = new byte[shape.ElementCount * dtype.Size()];
        new Random(seed).NextBytes(bytes);
        if (dtype == SafeTensorDType.Bool)
        {
            for (var i = 0; i < bytes.Length; i++)
                bytes[i] &= 1;
        }
        return new SafeTensor(dtype, shape, bytes);
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
    /// Random bytes written over the length field and the header give the documented format error or a file that
    /// obeys every rule (it re-serialises to itself), never another exception, and never an allocation sized by a
    /// corrupted number rather than by the file.
    /// </summary>
    [Property(MaxTest = 1000)]
    public Property Corrupted_headers_give_the_format_error_or_a_valid_file(SafeTensorsCase c, int seed, PositiveInt flips)
    {
        var bytes = SafeTensors.Serialize(c.File);
        var headerEnd = 8 + (int)BitConverter.ToUInt64(bytes, 0);
        var random = new Random(seed);
        for (var i = 0; i < 1 + (flips.Get % 4); i++)
            bytes[random.Next(headerEnd)] = random.Next(4) == 0 ? (byte)random.Next(256) : (byte)"{}[]\",:0123456789 eE-."[random.Next(22)];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var parsed = SafeTensors.Parse(bytes);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            var reparsed = SafeTensors.Parse(SafeTensors.Serialize(parsed));
            return (SameContents(parsed, reparsed) && allocated < (64L * bytes.Length) + 1_000_000).Label($"{c.Description}: allocated {allocated} bytes for a {bytes.Length}-byte file");
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

    private static bool SameContents(SafeTensorsFile a, SafeTensorsFile b) =>
        a.Tensors.Count == b.Tensors.Count
        && a.Tensors.All(e => b.Tensors.TryGetValue(e.Key, out var other) && other.DType == e.Value.DType && other.Shape == e.Value.Shape && other.Bytes.SequenceEqual(e.Value.Bytes))
        && a.Metadata.SequenceEqual(b.Metadata);

    private static Tensor BitsTensor(int seed, int count, DType dtype)
    {
        var bytes = new byte[count * dtype.Size()];
        new Random(seed).NextBytes(bytes);
        return dtype == DType.Float32
            ? Tensor.FromSpan(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes), new Shape(count))
            : Tensor.FromSpan(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes), new Shape(count));
    }
}
