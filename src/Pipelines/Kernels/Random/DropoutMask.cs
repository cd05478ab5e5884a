using System.Numerics;
using Pipelines.Kernels.Threading;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

/// <summary>
/// Dropout's keep-mask: element i is 1/(1 − p) where the i-th uniform draw of the key is at least p, else 0. The draw
/// is the same 24-bit (float32) or 53-bit (float64) uniform as <see cref="Tensor.Uniform"/>, so element i depends only
/// on the key and i, and the mask is drawn in parallel chunks without changing a bit.
/// </summary>
internal static class DropoutMask
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
        return dtype == DType.Float32 ? Float32(key, shape, p) : Float64(key, shape, p);
    }

    /// <summary>
    /// A draw bits·2⁻²⁴ is at least p exactly when its 24 bits (a word's top 24) are at least ⌈p·2²⁴⌉ (p·2²⁴ is exact),
    /// so comparing integers keeps the elements the uniform draw would: a vector compare and select per chunk of words.
    /// </summary>
    private static Tensor Float32(Key key, Shape shape, double p)
    {
        var mask = GC.AllocateUninitializedArray<float>(shape.ElementCount);
        var threshold = new Vector<uint>((uint)Math.Ceiling(Math.ScaleB(p, 24)));
        var scale = (float)(1 / (1 - p));
        ParallelChunks.Run(mask.Length, (start, end) =>
        {
            Span<uint> words = stackalloc uint[Chunk];
            for (var at = start; at < end; at += Chunk)
            {
                var destination = mask.AsSpan(at, Math.Min(Chunk, end - at));
                var drawn = words[..destination.Length];
                key.FillBits((ulong)at / 4, drawn);
                var i = 0;
                for (; i + Vector<uint>.Count <= drawn.Length; i += Vector<uint>.Count)
                {
                    var kept = Vector.GreaterThanOrEqual(new Vector<uint>(drawn[i..]) >>> 8, threshold);
                    Vector.ConditionalSelect(kept.As<uint, float>(), new Vector<float>(scale), Vector<float>.Zero).CopyTo(destination[i..]);
                }
                for (; i < drawn.Length; i++)
                    destination[i] = drawn[i] >> 8 >= threshold[0] ? scale : 0;
            }
        });
        return Tensor.Own(mask, shape);
    }

    /// <summary>As <see cref="Float32"/> with the 53-bit draws of float64, element by element.</summary>
    private static Tensor Float64(Key key, Shape shape, double p)
    {
        var mask = GC.AllocateUninitializedArray<double>(shape.ElementCount);
        var threshold = (ulong)Math.Ceiling(Math.ScaleB(p, 53));
        var scale = 1 / (1 - p);
        ParallelChunks.Run(mask.Length, (start, end) =>
        {
            Span<ulong> bits = stackalloc ulong[Chunk];
            for (var at = start; at < end; at += Chunk)
            {
                var destination = mask.AsSpan(at, Math.Min(Chunk, end - at));
                var drawn = bits[..destination.Length];
                RandomBits.FillUnitBits(key, DType.Float64, at, drawn);
                for (var i = 0; i < drawn.Length; i++)
                    destination[i] = drawn[i] >= threshold ? scale : 0;
            }
        });
        return Tensor.Own(mask, shape);
    }

    /// <summary>Elements per draw of bits: a multiple of 4, so every chunk starts a block of the stream (parallel chunks start at multiples of 64).</summary>
    private const int Chunk = 512;
}
