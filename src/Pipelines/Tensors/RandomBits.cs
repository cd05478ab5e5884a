namespace Pipelines.Tensors;

/// <summary>Turns a <see cref="Key"/>'s bit stream into numbers: element i of a draw depends only on the key and i.</summary>
internal static class RandomBits
{
    /// <summary>
    /// Element <paramref name="index"/> of a uniform draw on [0, 1): 24 random bits for float32 (every
    /// float32 multiple of 2⁻²⁴, as PyTorch draws), 53 for float64.
    /// </summary>
    public static double UnitInterval(Key key, long index, DType dtype)
    {
        if (dtype == DType.Float32)
            return Unit24(key.Bits((ulong)index / 4)[(int)(index % 4)]);
        var block = key.Bits((ulong)index / 2);
        var half = (int)(index % 2) * 2;
        return Mantissa53(block[half], block[half + 1]);
    }

    /// <summary>
    /// Elements 0, 1, … of the uniform draw on [0, 1) into <paramref name="destination"/>: the same values as
    /// <see cref="UnitInterval"/>, computing each 128-bit block once for the 4 (float32) or 2 (float64) elements it serves.
    /// </summary>
    public static void FillUnitInterval(Key key, DType dtype, Span<double> destination)
    {
        var perBlock = dtype == DType.Float32 ? 4 : 2;
        for (var block = 0; block * perBlock < destination.Length; block++)
        {
            var bits = key.Bits((ulong)block);
            var first = block * perBlock;
            for (var w = 0; w < perBlock && first + w < destination.Length; w++)
                destination[first + w] = dtype == DType.Float32 ? Unit24(bits[w]) : Mantissa53(bits[2 * w], bits[(2 * w) + 1]);
        }
    }

    /// <summary>
    /// Elements 0, 1, … of a standard normal draw by the Box–Muller transform, each from its own 128-bit block,
    /// so element i is independent of how many others are drawn.
    /// </summary>
    public static void FillStandardNormal(Key key, Span<double> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            var block = key.Bits((ulong)i);
            var u1 = 1.0 - Mantissa53(block.X0, block.X1);   // (0, 1]: the logarithm stays finite
            var u2 = Mantissa53(block.X2, block.X3);
            destination[i] = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        }
    }

    private static double Unit24(uint word) => (word >> 8) * (1.0 / (1 << 24));

    private static double Mantissa53(uint high, uint low) => ((((ulong)high << 32) | low) >> 11) * (1.0 / (1UL << 53));
}
