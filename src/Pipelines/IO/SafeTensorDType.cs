namespace Pipelines.IO;

/// <summary>The element types a safetensors file can hold that Pipelines reads.</summary>
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
}

/// <summary>Spellings and sizes of <see cref="SafeTensorDType"/>.</summary>
public static class SafeTensorDTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 or SafeTensorDType.I64 => 8,
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        SafeTensorDType.F16 or SafeTensorDType.BF16 => 2,
        SafeTensorDType.U8 or SafeTensorDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>The spelling in a safetensors header, e.g. <c>BF16</c> or <c>BOOL</c>.</summary>
    public static string HeaderName(this SafeTensorDType dtype) => dtype == SafeTensorDType.Bool ? "BOOL" : dtype.ToString();

    /// <summary>True for the integer and boolean dtypes.</summary>
    public static bool IsInteger(this SafeTensorDType dtype) => dtype is SafeTensorDType.I64 or SafeTensorDType.I32 or SafeTensorDType.U8 or SafeTensorDType.Bool;

    internal static bool TryParse(string name, out SafeTensorDType dtype)
    {
        foreach (var candidate in Enum.GetValues<SafeTensorDType>())
        {
            if (candidate.HeaderName() == name)
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
