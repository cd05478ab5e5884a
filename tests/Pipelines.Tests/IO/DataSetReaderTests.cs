using System.Buffers.Binary;
using System.IO.Compression;
using Pipelines.IO;
using Pipelines.Tensors;
using Pipelines.Tests.Architecture;
using Xunit;

namespace Pipelines.Tests.IO;

/// <summary>IDX and CSV data sets into tensors; broken files are format errors naming the rule, and TryRead never throws.</summary>
public sealed class DataSetReaderTests
{
    private static byte[] IdxBytes(byte type, int[] dims, byte[] data)
    {
        var header = new byte[4 + (4 * dims.Length)];
        (header[2], header[3]) = (type, (byte)dims.Length);
        for (var d = 0; d < dims.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + (4 * d)), dims[d]);
        return [.. header, .. data];
    }

    private static string Write(byte[] bytes, bool gzip = false)
    {
        var path = Path.Combine(Path.GetTempPath(), $"idx-{Guid.NewGuid():N}{(gzip ? ".gz" : string.Empty)}");
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }
        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(bytes);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ubyte_images_read_as_int64_or_as_float32_when_asked(bool gzip)
    {
        var path = Write(IdxBytes(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]), gzip);
        try
        {
            var images = Idx.Read(path);
            Assert.Equal((new Shape(2, 2, 3), DType.Int64), (images.Shape, images.DType));
            Assert.Equal([0L, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255], images.ToInt64Array());
            Assert.Equal(255f, Idx.Read(path, DType.Float32).ToFloat32Array()[^1]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Signed_and_wide_types_keep_their_values()
    {
        var shorts = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(shorts, -300);
        BinaryPrimitives.WriteInt16BigEndian(shorts.AsSpan(2), 300);
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(floats, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4), -2.25f);
        var paths = new[] { Write(IdxBytes(0x09, [2], [0xFF, 0x7F])), Write(IdxBytes(0x0B, [2], shorts)), Write(IdxBytes(0x0D, [2], floats)) };
        try
        {
            Assert.Equal([-1L, 127], Idx.Read(paths[0]).ToInt64Array());
            Assert.Equal([-300L, 300], Idx.Read(paths[1]).ToInt64Array());
            Assert.Equal([1.5f, -2.25f], Idx.Read(paths[2]).ToFloat32Array());
            Assert.Contains("cannot hold exactly", Assert.Throws<DataSetFormatException>(() => Idx.Read(paths[2], DType.Int64)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Array.ForEach(paths, File.Delete);
        }
    }

    [Fact]
    public void Broken_files_name_the_rule_and_a_lying_header_costs_nothing()
    {
        var cases = new (byte[] Bytes, string Rule)[]
        {
            (new byte[] { 1, 0, 8, 1 }, "starts with two zero bytes"),
            (IdxBytes(0x07, [1], [0]), "type byte 0x07"),
            (IdxBytes(0x08, [4], [1, 2]), "holds 2 after the header"),
            (IdxBytes(0x08, [-1], []), "extent 0 is -1"),
            (new byte[] { 0, 0, 8 }, "ends before the 4-byte magic"),
        };
        foreach (var (bytes, rule) in cases)
        {
            var path = Write(bytes);
            try
            {
                var failure = Idx.TryRead(path);
                Assert.False(failure.IsSuccess);
                Assert.Contains(rule, failure.Failure!.Message, StringComparison.Ordinal);
            }
            finally
            {
                File.Delete(path);
            }
        }
        var hostile = Write(IdxBytes(0x0E, [46_000, 46_000], new byte[64]));
        try
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            Assert.False(Idx.TryRead(hostile).IsSuccess);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 200_000);
        }
        finally
        {
            File.Delete(hostile);
        }
    }

    [Fact]
    public void TryRead_never_throws_whatever_the_bytes()
    {
        var random = new Random(5);
        for (var i = 0; i < 200; i++)
        {
            var bytes = new byte[random.Next(0, 40)];
            random.NextBytes(bytes);
            if (bytes.Length > 3 && i % 2 == 0)
                (bytes[0], bytes[1], bytes[3]) = (0, 0, (byte)(bytes[3] % 4));
            var path = Write(bytes, gzip: i % 3 == 0);
            try
            {
                _ = Idx.TryRead(path);
                _ = Csv.TryRead(path);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [Fact]
    public void The_digits_csv_reads_as_1797_examples_of_64_pixels_and_a_class()
    {
        var digits = Csv.Read(Path.Combine(SourceTree.Root, "examples", "Pipelines.Examples", "Data", "digits.csv.gz"));
        Assert.Equal(new Shape(1797, 64), digits.Features.Shape);
        Assert.Equal(DType.Int64, digits.Targets!.DType);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), digits.Targets.ToInt64Array().Distinct().Order());
    }

    [Fact]
    public void Csv_options_cover_headers_whitespace_value_targets_and_no_target()
    {
        var path = Path.Combine(Path.GetTempPath(), $"table-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllLines(path, ["3,2,a,b", "1.5,2,0", "3,4e1,1", "", "-1,0.25,1"]);
            var table = Csv.Read(path, new CsvOptions(SkipLines: 1));
            Assert.Equal([1.5f, 2, 3, 40, -1, 0.25f], table.Features.ToFloat32Array());
            Assert.Equal([0L, 1, 1], table.Targets!.ToInt64Array());
            File.WriteAllLines(path, ["59 2  32.1", "48 1 21.6"]);
            var spaced = Csv.Read(path, new CsvOptions(Separator: null, Target: CsvTarget.Value, TargetColumn: 0));
            Assert.Equal([59f, 48], spaced.Targets!.ToFloat32Array());
            Assert.Equal(new Shape(2, 1), spaced.Targets.Shape);
            Assert.Equal(new Shape(2, 2), spaced.Features.Shape);
            Assert.Null(Csv.Read(path, new CsvOptions(Separator: null, Target: CsvTarget.None)).Targets);
            File.WriteAllLines(path, ["1,2,0", "1,x,1"]);
            Assert.Contains("line 2): field 2 ('x') is not a number", Assert.Throws<DataSetFormatException>(() => Csv.Read(path)).Message, StringComparison.Ordinal);
            File.WriteAllLines(path, ["1,2,0", "1,2"]);
            Assert.Contains("it has 2 fields but the first data line has 3", Csv.TryRead(path).Failure!.Message, StringComparison.Ordinal);
            File.WriteAllLines(path, ["1,2,0.5"]);
            Assert.Contains("the class in field 3 is 0.5", Csv.TryRead(path).Failure!.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A header row names the columns; targets are picked by name, any number of value columns shaped [rows, targets] as a regression loss takes them.</summary>
    [Fact]
    public void Csv_with_a_header_picks_target_columns_by_name()
    {
        var path = Path.Combine(Path.GetTempPath(), $"table-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllLines(path, ["age, bmi ,y1,bp,y2", "50,22.5,1,80,10", "61,30.1,2,95,20"]);
            var table = Csv.Read(path, new CsvOptions(Header: true, Target: CsvTarget.Value, TargetNames: ["y2", "y1"]));
            Assert.Equal(new Shape(2, 3), table.Features.Shape);
            Assert.Equal([50f, 22.5f, 80, 61, 30.1f, 95], table.Features.ToFloat32Array());
            Assert.Equal(new Shape(2, 2), table.Targets!.Shape);
            Assert.Equal([1f, 10, 2, 20], table.Targets.ToFloat32Array());
            Assert.Equal(["age", "bmi", "bp"], table.FeatureNames!);
            Assert.Equal(["y1", "y2"], table.TargetNames!);
            var classes = Csv.Read(path, new CsvOptions(Header: true, TargetNames: ["y1"]));
            Assert.Equal([1L, 2], classes.Targets!.ToInt64Array());
            Assert.Equal(new Shape(2), classes.Targets.Shape);
            var missing = Assert.Throws<DataSetFormatException>(() => Csv.Read(path, new CsvOptions(Header: true, Target: CsvTarget.Value, TargetNames: ["y3"])));
            Assert.Contains("the header has no column 'y3'; its columns are age, bmi, y1, bp, y2", missing.Message, StringComparison.Ordinal);
            Assert.Contains("needs Header: true", Assert.Throws<ArgumentException>(() => Csv.Read(path, new CsvOptions(TargetNames: ["y1"]))).Message, StringComparison.Ordinal);
            Assert.Contains("a class target is one column", Assert.Throws<ArgumentException>(() => Csv.Read(path, new CsvOptions(Header: true, TargetNames: ["y1", "y2"]))).Message, StringComparison.Ordinal);
            File.WriteAllLines(path, ["a,b,y", "1,2"]);
            Assert.Contains("it has 2 fields but the header names 3 columns", Assert.Throws<DataSetFormatException>(() => Csv.Read(path, new CsvOptions(Header: true))).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
