using System.Collections.Frozen;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>The element types a safetensors file can hold, as the reference implementation names them.</summary>
public enum SafeTensorDType
{
    /// <summary>IEEE 754 binary32.</summary>
    F32,

    /// <summary>IEEE 754 binary64.</summary>
    F64,

    /// <summary>IEEE 754 binary16.</summary>
    F16,

    /// <summary>bfloat16: the top 16 bits of a binary32.</summary>
    BF16,

    /// <summary>Signed 64-bit integers.</summary>
    I64,

    /// <summary>Signed 32-bit integers.</summary>
    I32,

    /// <summary>Unsigned bytes.</summary>
    U8,

    /// <summary>Booleans, one byte each (0 or 1).</summary>
    Bool,

    /// <summary>Signed bytes.</summary>
    I8,

    /// <summary>Signed 16-bit integers.</summary>
    I16,

    /// <summary>Unsigned 16-bit integers.</summary>
    U16,

    /// <summary>Unsigned 32-bit integers.</summary>
    U32,

    /// <summary>Unsigned 64-bit integers.</summary>
    U64,

    /// <summary>8-bit float, 4 exponent and 3 mantissa bits, no infinities (OCP <c>float8_e4m3fn</c>).</summary>
    F8E4M3,

    /// <summary>8-bit float, 5 exponent and 2 mantissa bits, IEEE-like (<c>float8_e5m2</c>).</summary>
    F8E5M2,

    /// <summary>8-bit power of two, exponent only (<c>float8_e8m0fnu</c>, microscaling scales).</summary>
    F8E8M0,

    /// <summary>8-bit float, 4/3 bits, bias 8, no negative zero (<c>float8_e4m3fnuz</c>).</summary>
    F8E4M3Fnuz,

    /// <summary>8-bit float, 5/2 bits, bias 16, no negative zero (<c>float8_e5m2fnuz</c>).</summary>
    F8E5M2Fnuz,

    /// <summary>Complex numbers, two binary32 each; kept as bytes, not convertible to a tensor.</summary>
    C64,

    /// <summary>4-bit floats packed two per byte; kept as bytes, not convertible to a tensor.</summary>
    F4,

    /// <summary>6-bit floats (E2M3) packed four per three bytes; kept as bytes, not convertible to a tensor.</summary>
    F6E2M3,

    /// <summary>6-bit floats (E3M2) packed four per three bytes; kept as bytes, not convertible to a tensor.</summary>
    F6E3M2,
}

/// <summary>Spellings, sizes and kinds of <see cref="SafeTensorDType"/>.</summary>
public static class SafeTensorDTypeExtensions
{
    /// <summary>Bits per element (4 and 6 for the packed floats).</summary>
    /// <param name="dtype">The stored element type.</param>
    public static int Bits(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 or SafeTensorDType.I64 or SafeTensorDType.U64 or SafeTensorDType.C64 => 64,
        SafeTensorDType.F32 or SafeTensorDType.I32 or SafeTensorDType.U32 => 32,
        SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.I16 or SafeTensorDType.U16 => 16,
        SafeTensorDType.F6E2M3 or SafeTensorDType.F6E3M2 => 6,
        SafeTensorDType.F4 => 4,
        _ => 8,
    };

    /// <summary>The spelling in a safetensors header, e.g. <c>BF16</c>, <c>BOOL</c> or <c>F8_E4M3</c>.</summary>
    /// <param name="dtype">The stored element type.</param>
    public static string HeaderName(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.Bool => "BOOL",
        SafeTensorDType.F8E4M3 => "F8_E4M3",
        SafeTensorDType.F8E5M2 => "F8_E5M2",
        SafeTensorDType.F8E8M0 => "F8_E8M0",
        SafeTensorDType.F8E4M3Fnuz => "F8_E4M3FNUZ",
        SafeTensorDType.F8E5M2Fnuz => "F8_E5M2FNUZ",
        SafeTensorDType.F6E2M3 => "F6_E2M3",
        SafeTensorDType.F6E3M2 => "F6_E3M2",
        _ => dtype.ToString(),
    };

    /// <summary>True for the integer and boolean dtypes, which become int64 tensors.</summary>
    /// <param name="dtype">The stored element type.</param>
    public static bool IsInteger(this SafeTensorDType dtype) =>
        dtype is SafeTensorDType.I64 or SafeTensorDType.I32 or SafeTensorDType.I16 or SafeTensorDType.I8 or SafeTensorDType.U64 or SafeTensorDType.U32 or SafeTensorDType.U16 or SafeTensorDType.U8 or SafeTensorDType.Bool;

    /// <summary>The tensor dtype an entry converts to exactly, or null for the dtypes kept only as bytes (C64, F4, F6).</summary>
    /// <param name="dtype">The stored element type.</param>
    public static DType? NaturalDType(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 => DType.Float64,
        SafeTensorDType.C64 or SafeTensorDType.F4 or SafeTensorDType.F6E2M3 or SafeTensorDType.F6E3M2 => null,
        _ when dtype.IsInteger() => DType.Int64,
        _ => DType.Float32,
    };

    /// <summary>The stored dtype of a tensor of this element type (F32, F64 or I64).</summary>
    /// <param name="dtype">The tensor's element type.</param>
    public static SafeTensorDType Stored(this DType dtype) => dtype switch
    {
        DType.Float32 => SafeTensorDType.F32,
        DType.Float64 => SafeTensorDType.F64,
        _ => SafeTensorDType.I64,
    };

    internal static bool TryParse(string name, out SafeTensorDType dtype) => ByHeaderName.TryGetValue(name, out dtype);

    internal static bool TryParse(ReadOnlySpan<byte> utf8, out SafeTensorDType dtype)
    {
        foreach (var (name, candidate) in Utf8HeaderNames)
        {
            if (utf8.SequenceEqual(name))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    private static readonly (byte[] Name, SafeTensorDType DType)[] Utf8HeaderNames =
        [.. Enum.GetValues<SafeTensorDType>().Select(d => (System.Text.Encoding.UTF8.GetBytes(d.HeaderName()), d))];

    private static readonly FrozenDictionary<string, SafeTensorDType> ByHeaderName =
        Enum.GetValues<SafeTensorDType>().ToFrozenDictionary(d => d.HeaderName(), StringComparer.Ordinal);
}
