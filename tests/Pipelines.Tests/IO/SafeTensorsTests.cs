using System.Buffers.Binary;
using System.Text;
using Pipelines.IO;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.IO;

public sealed class SafeTensorsTests
{
    [Fact]
    public void Tensors_and_metadata_survive_a_round_trip_through_a_file()
    {
        var directory = Directory.CreateTempSubdirectory();
        try
        {
            var path = Path.Combine(directory.FullName, "model.safetensors");
            var weight = Tensor.Normal(new Key(1), new Shape(3, 4));
            var wide = Tensor.Normal(new Key(2), new Shape(2), dtype: DType.Float64);
            var labels = SafeTensor.FromInt64([3, -1, long.MaxValue], new Shape(3));
            var file = new SafeTensorsFile(
                [KeyValuePair.Create("w", SafeTensor.FromTensor(weight)), KeyValuePair.Create("d", SafeTensor.FromTensor(wide)), KeyValuePair.Create("labels", labels)],
                [KeyValuePair.Create("format", "pt")]);
            SafeTensors.Save(path, file);
            var loaded = SafeTensors.Load(path);
            Assert.True(weight.BitwiseEquals(loaded.Tensor("w")));
            Assert.True(wide.BitwiseEquals(loaded.Tensor("d")));
            Assert.Equal(new long[] { 3, -1, long.MaxValue }, loaded.Tensors["labels"].ToInt64Array());
            Assert.Equal("pt", loaded.Metadata["format"]);
            Assert.Single(directory.GetFiles());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_header_is_padded_to_eight_bytes_and_lists_names_in_order()
    {
        var bytes = SafeTensors.Serialize(SafeTensorsFile.FromTensors([KeyValuePair.Create("b", Tensor.Ones(new Shape(1))), KeyValuePair.Create("a", Tensor.Zeros(new Shape(2)))]));
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        Assert.StartsWith("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":", header, StringComparison.Ordinal);
        Assert.Equal(8 + headerLength + 12, bytes.Length);
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_file_and_no_temporary_file()
    {
        var directory = Directory.CreateTempSubdirectory();
        try
        {
            var path = Path.Combine(directory.FullName, "m.safetensors");
            SafeTensors.Save(path, [KeyValuePair.Create("x", Tensor.Ones(new Shape(2)))]);
            var before = File.ReadAllBytes(path);
            Directory.CreateDirectory(Path.Combine(directory.FullName, "blocker.safetensors"));
            Assert.ThrowsAny<IOException>(() => SafeTensors.Save(Path.Combine(directory.FullName, "blocker.safetensors"), [KeyValuePair.Create("x", Tensor.Ones(new Shape(2)))]));
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(["m.safetensors"], directory.GetFiles().Select(f => f.Name));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Every_dtype_the_format_defines_is_read_and_floats_convert_exactly()
    {
        var file = SafeTensors.Parse(Build(
            """{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"i":{"dtype":"I32","shape":[1],"data_offsets":[6,10]},"u":{"dtype":"U8","shape":[1],"data_offsets":[10,11]},"t":{"dtype":"BOOL","shape":[1],"data_offsets":[11,12]}}""",
            [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0xFE, 0xFF, 0xFF, 0xFF, 200, 1]));
        Assert.Equal(new float[] { 1, -2 }, file.Tensor("h").ToFloat32Array());
        Assert.Equal(new float[] { 1 }, file.Tensor("b").ToFloat32Array());
        Assert.Equal(new long[] { -2 }, file.Tensors["i"].ToInt64Array());
        Assert.Equal(new long[] { 200 }, file.Tensors["u"].ToInt64Array());
        Assert.Equal(new double[] { 1 }, file.Tensor("t").ToFloat64Array());
        Assert.Throws<InvalidOperationException>(() => file.Tensors["h"].ToInt64Array());
        Assert.Contains("no tensor named 'zz'", Assert.Throws<KeyNotFoundException>(() => file.Tensor("zz")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_file_of_tensors_is_valid()
    {
        var file = SafeTensors.Parse(Build("{}", []));
        Assert.Empty(file.Tensors);
        Assert.Empty(SafeTensors.Parse(SafeTensors.Serialize(file)).Tensors);
    }

    public static TheoryData<string, byte[], string> BrokenFiles() => new()
    {
        { "too short", [1, 0, 0], "8-byte header length" },
        { "header beyond the file", Length(64, "{}"), "goes beyond the end of the file" },
        { "header over 100 MB", Length(200_000_000, "{}"), "over the 100000000-byte limit" },
        { "invalid JSON", Build("{\"a\":", []), "not valid JSON" },
        { "header not an object", Build("[1, 2]", []), "must start with '{'" },
        { "header starting with a space", Build(" {}", []), "must start with '{'" },
        { "unknown dtype", Build("""{"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}""", [0]), "unknown dtype 'F8'" },
        { "missing dtype", Build("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", [0, 0, 0, 0]), "needs 'dtype', 'shape' and 'data_offsets'" },
        { "dtype not a string", Build("""{"a":{"dtype":3,"shape":[1],"data_offsets":[0,4]}}""", [0, 0, 0, 0]), "needs a string 'dtype'" },
        { "a field given twice", Build("""{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", [0]), "gives 'dtype' twice" },
        { "a lone surrogate in a name", Build("""{"\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", [0]), "a tensor name is not valid Unicode" },
        { "a lone surrogate in a dtype", Build("""{"a":{"dtype":"F\udc00","shape":[1],"data_offsets":[0,1]}}""", [0]), "the dtype of tensor 'a' is not valid Unicode" },
        { "a lone surrogate in a metadata key", Build("""{"__metadata__":{"\ud800x":"v"}}""", []), "a metadata key is not valid Unicode" },
        { "a lone surrogate in a metadata value", Build("""{"__metadata__":{"k":"\udfff"}}""", []), "the metadata value of 'k' is not valid Unicode" },
        { "packed floats that are not whole bytes", Build("""{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}""", [0, 0]), "not a whole number of bytes" },
        { "negative extent", Build("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", [0, 0, 0, 0]), "not a non-negative integer" },
        { "offsets reversed", Build("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}""", [0, 0, 0, 0]), "begin <= end" },
        { "offsets out of range", Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", [0, 0, 0, 0]), "truncated?" },
        { "byte count not shape x dtype", Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", [0, 0, 0, 0]), "which is 8 bytes, but its data_offsets [0, 4] span 4 bytes" },
        { "overlapping data", Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}""", [0, 0, 0, 0, 0, 0]), "overlaps" },
        { "a gap in the data", Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", [0, 0, 0, 0, 0, 0, 0, 0]), "leaving a gap" },
        { "trailing bytes", Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", [0, 9]), "the tensors use 1 bytes of data but the file has 2 after the header" },
        { "a name given twice", Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", [0, 0]), "names 'a' twice" },
        { "metadata not strings", Build("""{"__metadata__":{"k":1}}""", []), "must be a string" },
        { "header not UTF-8", [.. Length(4, string.Empty), (byte)'{', (byte)'"', 0x8F, (byte)'}'], "not valid UTF-8" },
        { "huge extent", Build("""{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", [0, 0, 0, 0, 0, 0, 0, 0]), "more elements than an array can hold" },
        { "a long name", Build("{\"" + new string('n', 5000) + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,2]}}", [0, 0]), "…' (5000 characters)" },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void Broken_files_are_rejected_with_the_rule_they_break(string what, byte[] bytes, string rule)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Parse(bytes));
        Assert.Contains(rule, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("Not a valid safetensors file", e.Message, StringComparison.Ordinal);
        Assert.NotEmpty(what);
    }

    /// <summary>TryLoad never throws: a broken file's failure says what Load's exception says, a missing file's names the path.</summary>
    [Fact]
    public void TryLoad_returns_failures_as_values()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [1, 2, 3]);
            var truncated = SafeTensors.TryLoad(path);
            Assert.False(truncated.IsSuccess);
            Assert.Equal(Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path)).Message, truncated.Failure.Message);
            var missing = SafeTensors.TryLoad(path + ".missing");
            Assert.False(missing.IsSuccess);
            Assert.Contains(path + ".missing", missing.Failure.Message, StringComparison.Ordinal);
            File.WriteAllBytes(path, Build("{}", []));
            Assert.True(SafeTensors.TryLoad(path).IsSuccess);
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static byte[] Build(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        return [.. Length((ulong)json.Length, string.Empty), .. json, .. data];
    }

    private static byte[] Length(ulong length, string header)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        return [.. bytes, .. Encoding.UTF8.GetBytes(header)];
    }
}
