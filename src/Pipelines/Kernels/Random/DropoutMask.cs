using System.Numerics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

/// <summary>
/// Dropout's keep-mask: element i is 1/(1 − p) where the i-th uniform draw of the key is at least p, else 0. The draw
/// is the same 24-bit (float32) or 53-bit (float64) uniform as <see cref="Tensor.Uniform"/>, so element i depends only
/// on the key and i.
/// </summary>
public static class DropoutMask
{
    /// <summary>The mask for <paramref name="shape"/> with drop probability <paramref name="p"/> in [0, 1] (all zeros at p = 1, as PyTorch).</summary>
    /// <param name="key">The key of the layer's draw.</param>
    /// <param name="shape">The shape of the input.</param>
    /// <param name="p">The probability of dropping an element.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Create(Key key, Shape shape, double p, DType dtype)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout p must lie in [0, 1] but got {p}.");
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"A dropout mask is float32 or float64, not {dtype.Name()}.", nameof(dtype));
        if (p == 1)
            return Tensor.Zeros(shape, dtype);
        return dtype == DType.Float32 ? Mask<float>(key, shape, p, 24) : Mask<double>(key, shape, p, 53);
    }

    /// <summary>
    /// The mask from the draws' raw bits: a draw bits·2⁻ᵇ is at least p exactly when bits ≥ ⌈p·2ᵇ⌉ (p·2ᵇ is exact), so
    /// comparing integers keeps the elements the uniform draw would.
    /// </summary>
    private static Tensor Mask<T>(Key key, Shape shape, double p, int bitsPerDraw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var mask = GC.AllocateUninitializedArray<T>(shape.ElementCount);
        var threshold = (ulong)Math.Ceiling(Math.ScaleB(p, bitsPerDraw));
        var scale = T.CreateTruncating(1 / (1 - p));
        var dtype = bitsPerDraw == 24 ? DType.Float32 : DType.Float64;
        Span<ulong> bits = stackalloc ulong[Chunk];
        for (var start = 0; start < mask.Length; start += Chunk)
        {
            var chunk = bits[..Math.Min(Chunk, mask.Length - start)];
            RandomBits.FillUnitBits(key, dtype, start, chunk);
            var destination = mask.AsSpan(start, chunk.Length);
            for (var i = 0; i < chunk.Length; i++)
                destination[i] = chunk[i] >= threshold ? scale : T.Zero;
        }
        return Tensor.Own(mask, shape);
    }

    /// <summary>Elements per draw of bits: a multiple of 4, so every chunk starts a block of the stream.</summary>
    private const int Chunk = 512;
}
