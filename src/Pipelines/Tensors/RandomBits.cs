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
    /// <see cref="UnitInterval"/>, from the key's bits drawn a chunk at a time.
    /// </summary>
    public static void FillUnitInterval(Key key, DType dtype, Span<double> destination)
    {
        Span<uint> words = stackalloc uint[ChunkWords];
        var wordsPerElement = dtype == DType.Float32 ? 1 : 2;
        var perChunk = ChunkWords / wordsPerElement;
        for (var start = 0; start < destination.Length; start += perChunk)
        {
            var chunk = destination.Slice(start, Math.Min(perChunk, destination.Length - start));
            key.FillBits((ulong)(start * wordsPerElement / 4), words[..(chunk.Length * wordsPerElement)]);
            for (var i = 0; i < chunk.Length; i++)
                chunk[i] = dtype == DType.Float32 ? Unit24(words[i]) : Mantissa53(words[2 * i], words[(2 * i) + 1]);
        }
    }

    /// <summary>
    /// The raw bits behind elements <paramref name="firstElement"/>, … of a uniform draw, as integers: element i's 24
    /// bits (float32, the draw is bits·2⁻²⁴) or 53 bits (float64, bits·2⁻⁵³). Comparing these with a threshold compares
    /// the draws exactly. <paramref name="firstElement"/> must start a block: a multiple of 4 (float32) or 2 (float64).
    /// </summary>
    public static void FillUnitBits(Key key, DType dtype, long firstElement, Span<ulong> destination)
    {
        if (firstElement * (dtype == DType.Float32 ? 1 : 2) % 4 != 0)
            throw new ArgumentException($"Element {firstElement} does not start a block of the draw stream.", nameof(firstElement));
        Span<uint> words = stackalloc uint[ChunkWords];
        var wordsPerElement = dtype == DType.Float32 ? 1 : 2;
        var perChunk = ChunkWords / wordsPerElement;
        for (var start = 0; start < destination.Length; start += perChunk)
        {
            var chunk = destination.Slice(start, Math.Min(perChunk, destination.Length - start));
            key.FillBits((ulong)((firstElement + start) * wordsPerElement / 4), words[..(chunk.Length * wordsPerElement)]);
            for (var i = 0; i < chunk.Length; i++)
                chunk[i] = dtype == DType.Float32 ? words[i] >> 8 : ((((ulong)words[2 * i]) << 32) | words[(2 * i) + 1]) >> 11;
        }
    }

    /// <summary>How many 32-bit words a fill draws at a time (a multiple of 4 words per block, on the stack).</summary>
    private const int ChunkWords = 1024;

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
