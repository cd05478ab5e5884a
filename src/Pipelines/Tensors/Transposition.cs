using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipelines.Tensors;

/// <summary>
/// The one matrix transpose of the library: rows × cols from a source with row stride <c>sourceStride</c> into a
/// destination with row stride <c>destinationStride</c> (element (r, c) goes to (c, r)). Tensors, GEMM packing and
/// initialisers all transpose through it. It walks square tiles so both sides stay in cache whatever the sizes; on
/// machines with AVX, full tiles of 4-byte elements move as 8×8 blocks in registers and 8-byte elements as 4×4 blocks
/// (a training step transposes every new weight for its forward product, so this is on the hot path). Only bits move,
/// so any element type of the size takes the vector path.
/// </summary>
internal static class Transposition
{
    private const int Tile = 16;

    public static void Transpose<T>(ReadOnlySpan<T> source, int rows, int cols, int sourceStride, Span<T> destination, int destinationStride)
        where T : unmanaged
    {
        var block = Avx.IsSupported ? 32 / Unsafe.SizeOf<T>() : 0;
        for (var r0 = 0; r0 < rows; r0 += Tile)
        {
            var rEnd = Math.Min(rows, r0 + Tile);
            for (var c0 = 0; c0 < cols; c0 += Tile)
            {
                var cEnd = Math.Min(cols, c0 + Tile);
                if (block is 8 or 4 && rEnd - r0 == Tile && cEnd - c0 == Tile)
                {
                    for (var r = r0; r < rEnd; r += block)
                    {
                        for (var c = c0; c < cEnd; c += block)
                            TransposeBlock(source[((r * sourceStride) + c)..], sourceStride, destination[((c * destinationStride) + r)..], destinationStride);
                    }
                    continue;
                }
                for (var r = r0; r < rEnd; r++)
                {
                    var row = source.Slice(r * sourceStride);
                    for (var c = c0; c < cEnd; c++)
                        destination[(c * destinationStride) + r] = row[c];
                }
            }
        }
    }

    /// <summary>One register block: 8×8 of 4-byte or 4×4 of 8-byte elements (one 256-bit vector per row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeBlock<T>(ReadOnlySpan<T> source, int sourceStride, Span<T> destination, int destinationStride)
        where T : unmanaged
    {
        if (Unsafe.SizeOf<T>() == 4)
            Transpose8x8(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(source)), source.Length, sourceStride, ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(destination)), destination.Length, destinationStride);
        else
            Transpose4x4(ref Unsafe.As<T, double>(ref MemoryMarshal.GetReference(source)), source.Length, sourceStride, ref Unsafe.As<T, double>(ref MemoryMarshal.GetReference(destination)), destination.Length, destinationStride);
    }

    private static void Transpose8x8(ref float source, int sourceLength, int sourceStride, ref float destination, int destinationLength, int destinationStride)
    {
        // The spans' bounds, checked once for the block's last rows.
        if ((7L * sourceStride) + 8 > sourceLength || (7L * destinationStride) + 8 > destinationLength)
            throw new ArgumentOutOfRangeException(nameof(sourceStride), "The block does not fit its spans.");
        var r0 = Vector256.LoadUnsafe(ref source);
        var r1 = Vector256.LoadUnsafe(ref source, (nuint)sourceStride);
        var r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * sourceStride));
        var r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * sourceStride));
        var r4 = Vector256.LoadUnsafe(ref source, (nuint)(4 * sourceStride));
        var r5 = Vector256.LoadUnsafe(ref source, (nuint)(5 * sourceStride));
        var r6 = Vector256.LoadUnsafe(ref source, (nuint)(6 * sourceStride));
        var r7 = Vector256.LoadUnsafe(ref source, (nuint)(7 * sourceStride));
        // Interleave pairs of rows, then pairs of pairs, within each 128-bit half; then swap halves.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref destination);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref destination, (nuint)destinationStride);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref destination, (nuint)(2 * destinationStride));
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref destination, (nuint)(3 * destinationStride));
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref destination, (nuint)(4 * destinationStride));
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref destination, (nuint)(5 * destinationStride));
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref destination, (nuint)(6 * destinationStride));
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref destination, (nuint)(7 * destinationStride));
    }

    private static void Transpose4x4(ref double source, int sourceLength, int sourceStride, ref double destination, int destinationLength, int destinationStride)
    {
        if ((3L * sourceStride) + 4 > sourceLength || (3L * destinationStride) + 4 > destinationLength)
            throw new ArgumentOutOfRangeException(nameof(sourceStride), "The block does not fit its spans.");
        var r0 = Vector256.LoadUnsafe(ref source);
        var r1 = Vector256.LoadUnsafe(ref source, (nuint)sourceStride);
        var r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * sourceStride));
        var r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * sourceStride));
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        Avx.Permute2x128(t0, t2, 0x20).StoreUnsafe(ref destination);
        Avx.Permute2x128(t1, t3, 0x20).StoreUnsafe(ref destination, (nuint)destinationStride);
        Avx.Permute2x128(t0, t2, 0x31).StoreUnsafe(ref destination, (nuint)(2 * destinationStride));
        Avx.Permute2x128(t1, t3, 0x31).StoreUnsafe(ref destination, (nuint)(3 * destinationStride));
    }
}
