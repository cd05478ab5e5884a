namespace Pipelines.IO;

/// <summary>
/// Exact decoding of the 8-bit and 16-bit floats safetensors files hold into float32, which holds every one of their
/// values: sign, exponent and mantissa fields, subnormals, and each format's own infinities and NaNs.
/// </summary>
internal static class Minifloat
{
    public static float Decode(SafeTensorDType dtype, ushort bits) => dtype switch
    {
        SafeTensorDType.F16 => (float)BitConverter.UInt16BitsToHalf(bits),
        SafeTensorDType.BF16 => BitConverter.Int32BitsToSingle(bits << 16),
        SafeTensorDType.F8E4M3 => Float8((byte)bits, exponentBits: 4, bias: 7, (byte)bits is 0x7F or 0xFF, infinity: false),
        SafeTensorDType.F8E5M2 => Float8((byte)bits, exponentBits: 5, bias: 15, ((byte)bits & 0x7F) > 0x7C, infinity: ((byte)bits & 0x7F) == 0x7C),
        SafeTensorDType.F8E4M3Fnuz => Float8((byte)bits, exponentBits: 4, bias: 8, (byte)bits == 0x80, infinity: false),
        SafeTensorDType.F8E5M2Fnuz => Float8((byte)bits, exponentBits: 5, bias: 16, (byte)bits == 0x80, infinity: false),
        SafeTensorDType.F8E8M0 => (byte)bits == 0xFF ? float.NaN : MathF.ScaleB(1, (byte)bits - 127),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a small float."),
    };

    /// <summary>An 8-bit float with the given field widths and bias; NaN and infinity are decided by the caller's format rules.</summary>
    private static float Float8(byte bits, int exponentBits, int bias, bool nan, bool infinity)
    {
        var negative = (bits & 0x80) != 0;
        if (nan)
            return float.NaN;
        if (infinity)
            return negative ? float.NegativeInfinity : float.PositiveInfinity;
        var mantissaBits = 7 - exponentBits;
        var exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
        var mantissa = bits & ((1 << mantissaBits) - 1);
        var magnitude = exponent == 0
            ? MathF.ScaleB(mantissa, 1 - bias - mantissaBits)
            : MathF.ScaleB((1 << mantissaBits) + mantissa, exponent - bias - mantissaBits);
        return negative ? -magnitude : magnitude;
    }
}
