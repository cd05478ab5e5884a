using System.Text;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.IO;

/// <summary>Every dtype the format defines is read; conversions are exact or refused by name, listed with every other mismatch.</summary>
public sealed class SafeTensorDTypeTests
{
    /// <summary>Known encodings of the small floats (OCP 8-bit formats, IEEE half, bfloat16) decode to their exact values.</summary>
    [Theory]
    [InlineData(SafeTensorDType.F8E4M3, new byte[] { 0x38, 0x7E, 0x01, 0xB8, 0x7F }, new[] { 1.0, 448.0, 1.0 / 512, -1.0, double.NaN })]
    [InlineData(SafeTensorDType.F8E5M2, new byte[] { 0x3C, 0x7B, 0x01, 0x7C, 0xFC, 0x7D }, new[] { 1.0, 57344.0, 1.0 / 65536, double.PositiveInfinity, double.NegativeInfinity, double.NaN })]
    [InlineData(SafeTensorDType.F8E8M0, new byte[] { 0x7F, 0x80, 0x00, 0xFF }, new[] { 1.0, 2.0, 5.877471754111438e-39, double.NaN })]
    [InlineData(SafeTensorDType.F8E4M3Fnuz, new byte[] { 0x40, 0x80, 0x01 }, new[] { 1.0, double.NaN, 1.0 / 1024 })]
    [InlineData(SafeTensorDType.F8E5M2Fnuz, new byte[] { 0x40, 0x80, 0x7F }, new[] { 1.0, double.NaN, 57344.0 })]
    [InlineData(SafeTensorDType.F16, new byte[] { 0x00, 0x3C, 0xFF, 0x7B, 0x01, 0x00 }, new[] { 1.0, 65504.0, 5.960464477539063e-8 })]
    [InlineData(SafeTensorDType.BF16, new byte[] { 0x80, 0x3F, 0x80, 0xBF }, new[] { 1.0, -1.0 })]
    public void Small_floats_decode_exactly(SafeTensorDType dtype, byte[] bytes, double[] expected)
    {
        var tensor = new SafeTensor(dtype, new Shape(expected.Length), bytes).ToTensor();
        Assert.Equal(DType.Float32, tensor.DType);
        Assert.Equal(expected, tensor.ToFloat64Array());
    }

    [Theory]
    [InlineData(SafeTensorDType.I8, new byte[] { 0x80, 0x7F }, new[] { -128L, 127L })]
    [InlineData(SafeTensorDType.U16, new byte[] { 0xFF, 0xFF, 0x01, 0x00 }, new[] { 65535L, 1L })]
    [InlineData(SafeTensorDType.I16, new byte[] { 0x00, 0x80 }, new[] { -32768L })]
    [InlineData(SafeTensorDType.U32, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, new[] { 4294967295L })]
    [InlineData(SafeTensorDType.U64, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }, new[] { long.MaxValue })]
    [InlineData(SafeTensorDType.Bool, new byte[] { 1, 0 }, new[] { 1L, 0L })]
    public void Integers_decode_exactly_into_int64(SafeTensorDType dtype, byte[] bytes, long[] expected)
    {
        var tensor = new SafeTensor(dtype, new Shape(expected.Length), bytes).ToTensor();
        Assert.Equal(expected, tensor.ToInt64Array());
    }

    [Fact]
    public void Unconvertible_values_are_refused_by_name()
    {
        var big = new SafeTensor(SafeTensorDType.U64, new Shape(1), Enumerable.Repeat((byte)0xFF, 8).ToArray());
        Assert.Contains("U64 element 0 is 18446744073709551615, which has no int64 value", Assert.Throws<InvalidOperationException>(() => big.ToTensor()).Message, StringComparison.Ordinal);
        var complex = new SafeTensor(SafeTensorDType.C64, new Shape(1), new byte[8]);
        Assert.Contains("C64 entries cannot become tensors", Assert.Throws<InvalidOperationException>(() => complex.ToTensor()).Message, StringComparison.Ordinal);
        var huge = SafeTensor.FromInt64([(1L << 60) + 1], new Shape(1));
        Assert.Contains("I64 element 0 is 1152921504606846977, which has no exact float32 value", Assert.Throws<InvalidOperationException>(() => huge.ToTensor(DType.Float32)).Message, StringComparison.Ordinal);
        Assert.Equal(1L << 24, SafeTensor.FromInt64([1L << 24], new Shape(1)).ToTensor(DType.Float32).Item());
        Assert.Equal(-9.2233720368547758e18, SafeTensor.FromInt64([long.MinValue], new Shape(1)).ToTensor(DType.Float32).Item());
        Assert.Contains("which has no exact float32 value", Assert.Throws<InvalidOperationException>(() => SafeTensor.FromInt64([long.MaxValue], new Shape(1)).ToTensor(DType.Float32)).Message, StringComparison.Ordinal);
    }

    /// <summary>An I64 entry holding 2⁶⁰ + 1 or 2⁶³ − 1 offered for a float32 weight is a mismatch listed with the others, and TryLoad returns it.</summary>
    [Fact]
    public void Lossy_integer_entries_are_listed_with_every_other_mismatch_and_TryLoad_returns_them()
    {
        var model = new Linear(Tensor.Zeros(new Shape(2, 2)), Tensor.Zeros(new Shape(2))) >> new Linear(Tensor.Zeros(new Shape(1, 2)));
        var path = Path.Combine(Path.GetTempPath(), $"lossy-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, new SafeTensorsFile(
            [
                KeyValuePair.Create("0.weight", SafeTensor.FromInt64([(1L << 60) + 1, 0, 0, 0], new Shape(2, 2))),
                KeyValuePair.Create("0.bias", SafeTensor.FromInt64([long.MaxValue, 1], new Shape(2))),
                KeyValuePair.Create("1.weight", SafeTensor.FromInt64([1, 2, 3], new Shape(3))),
                KeyValuePair.Create("2.weight", SafeTensor.FromInt64([1], new Shape(1))),
            ]));
            var result = StateDict.TryLoad(model, path);
            Assert.False(result.IsSuccess);
            var mismatch = Assert.IsType<StateDictMismatchException>(result.Failure!.Exception);
            Assert.Equal(2, mismatch.Conversions.Length);
            Assert.Contains("'0.weight' for float32: I64 element 0 is 1152921504606846977, which has no exact float32 value", mismatch.Message, StringComparison.Ordinal);
            Assert.Contains("'0.bias' for float32: I64 element 0 is 9223372036854775807", mismatch.Message, StringComparison.Ordinal);
            Assert.Single(mismatch.ShapeMismatches);
            Assert.Equal("2.weight", Assert.Single(mismatch.Unexpected));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Extra fields in an entry are ignored and a null metadata map means none, as the reference implementation reads them.</summary>
    [Fact]
    public void Extra_entry_fields_and_null_metadata_are_accepted()
    {
        var json = Encoding.UTF8.GetBytes("""{"__metadata__":null,"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":{"deep":[1,{"k":2}]}}}""");
        var file = SafeTensors.Parse([.. BitConverter.GetBytes((ulong)json.Length), .. json, 7]);
        Assert.Empty(file.Metadata);
        Assert.Equal([7L], file.Tensors["a"].ToInt64Array());
    }
}
