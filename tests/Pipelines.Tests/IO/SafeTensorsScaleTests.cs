using System.Diagnostics;
using System.Text;
using Pipelines.IO;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.IO;

/// <summary>Files over 2 GiB both ways, hostile files that cost what their header says, and saves that leave nothing behind.</summary>
public sealed class SafeTensorsScaleTests
{
    /// <summary>A 2.16 GB tensor (more bytes than one array holds) saves by streaming and loads straight into its storage, bitwise.</summary>
    [Fact]
    public void A_state_dict_with_a_tensor_over_2_GiB_saves_and_loads_bitwise()
    {
        const int Elements = 540_000_000;
        var values = GC.AllocateUninitializedArray<float>(Elements);
        for (var i = 0; i < Elements; i += 4096)
            values[i] = i;
        var big = Tensor.FromSpan(values, new Shape(Elements));
        values = null;
        var path = TemporaryPath();
        try
        {
            SafeTensors.Save(path, [KeyValuePair.Create("big", big), KeyValuePair.Create("small", Tensor.Ones(new Shape(3)))]);
            var length = new FileInfo(path).Length;
            Assert.InRange(length - (4L * Elements) - 12, 8 + 64, 8 + 256);
            var loaded = SafeTensors.Load(path);
            Assert.Equal(4L * Elements, loaded.Tensors["big"].ByteCount);
            Assert.True(loaded.Tensor("big").BitwiseEquals(big));
            Assert.True(loaded.Tensor("small").BitwiseEquals(Tensor.Ones(new Shape(3))));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A 1.9 GB file whose length prefix is 2⁶⁴ − 1 is rejected from its first 8 bytes: in milliseconds, allocating almost nothing.</summary>
    [Fact]
    public void A_hostile_length_prefix_is_rejected_without_reading_the_file()
    {
        var path = TemporaryPath();
        try
        {
            using (var stream = new FileStream(path, FileMode.CreateNew))
            {
                stream.Write(BitConverter.GetBytes(ulong.MaxValue));
                stream.SetLength(1_900_000_000);
            }
            var clock = Stopwatch.StartNew();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var result = SafeTensors.TryLoad(path);
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            Assert.False(result.IsSuccess);
            Assert.Contains("over the 100000000-byte limit", result.Failure!.Message, StringComparison.Ordinal);
            Assert.True(allocated < 100_000, $"rejecting the prefix allocated {allocated} bytes");
            Assert.True(clock.ElapsedMilliseconds < 1000, $"rejecting the prefix took {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// A 98 MB header of 1.65 million empty tensors costs what it returns: the file keeps about 250 bytes per entry (name, shape,
    /// tensor, dictionary node: under 5× the header), and reading it allocates under 11× the header in all (it was over 30×,
    /// through a document tree and a message string per field).
    /// </summary>
    [Fact]
    public void A_huge_header_of_empty_tensors_costs_what_it_returns()
    {
        var header = new StringBuilder("{");
        for (var i = 0; header.Length < 98_000_000; i++)
            header.Append(i == 0 ? string.Empty : ",").Append("\"t").Append(i).Append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        header.Append('}');
        var json = Encoding.UTF8.GetBytes(header.ToString());
        header.Clear();
        var path = TemporaryPath();
        try
        {
            using (var stream = new FileStream(path, FileMode.CreateNew))
            {
                stream.Write(BitConverter.GetBytes((ulong)json.Length));
                stream.Write(json);
            }
            var retainedBefore = GC.GetTotalMemory(forceFullCollection: true);
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var file = SafeTensors.Load(path);
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            var retained = GC.GetTotalMemory(forceFullCollection: true) - retainedBefore;
            Assert.True(file.Tensors.Count > 1_600_000);
            Assert.True(retained < 5L * json.Length, $"the file read from a {json.Length}-byte header keeps {retained} bytes");
            Assert.True(allocated < 11L * json.Length, $"reading a {json.Length}-byte header allocated {allocated} bytes");
            GC.KeepAlive(file);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A save killed mid-write leaves <c>.NAME.partial</c>; the next save to the same path writes through it and leaves nothing, and the old file stayed whole throughout.</summary>
    [Fact]
    public void A_temporary_file_left_by_a_killed_save_is_reused_and_removed_by_the_next()
    {
        var directory = Directory.CreateTempSubdirectory("saves-").FullName;
        try
        {
            var path = Path.Combine(directory, "model.safetensors");
            SafeTensors.Save(path, [KeyValuePair.Create("w", Tensor.Ones(new Shape(2)))]);
            File.WriteAllBytes(Path.Combine(directory, ".model.safetensors.partial"), [1, 2, 3]);
            Assert.True(SafeTensors.Load(path).Tensor("w").BitwiseEquals(Tensor.Ones(new Shape(2))));
            SafeTensors.Save(path, [KeyValuePair.Create("w", Tensor.Zeros(new Shape(2)))]);
            Assert.Equal(["model.safetensors"], Directory.GetFiles(directory).Select(Path.GetFileName));
            Assert.True(SafeTensors.Load(path).Tensor("w").BitwiseEquals(Tensor.Zeros(new Shape(2))));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A failing save (here: the target is a directory) removes its temporary and leaves what was there.</summary>
    [Fact]
    public void A_failed_save_leaves_no_temporary_and_nothing_half_written()
    {
        var directory = Directory.CreateTempSubdirectory("saves-").FullName;
        try
        {
            var target = Directory.CreateDirectory(Path.Combine(directory, "taken")).FullName;
            Assert.ThrowsAny<IOException>(() => SafeTensors.Save(target, [KeyValuePair.Create("w", Tensor.Ones(new Shape(2)))]));
            Assert.Empty(Directory.GetFiles(directory));
            Assert.True(Directory.Exists(target));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string TemporaryPath() => Path.Combine(Path.GetTempPath(), $"scale-{Guid.NewGuid():N}.safetensors");
}
