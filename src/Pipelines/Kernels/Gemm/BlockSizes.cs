using System.Runtime.Intrinsics;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// The blocking of one vector width, as BLIS keeps it in one table: a register tile of <see cref="Mr"/> rows ×
/// <see cref="Vectors"/> vectors (<see cref="Nr"/> columns); <see cref="Kc"/> sized so a packed B micro-panel
/// (Kc × Nr) stays in L1; <see cref="Mc"/> so a packed A block (Mc × Kc) stays in L2.
/// </summary>
internal readonly record struct BlockSizes(int Mr, int Vectors, int Lanes, int Kc, int Mc)
{
    public const int MaxRows = 6;

    /// <summary>Columns of the register tile.</summary>
    public int Nr => Vectors * Lanes;

    /// <summary>
    /// The table. 6 rows × 4 vectors uses 24 accumulators, which fits 32-register (AVX-512) machines; 16-register
    /// machines get 6 × 2. Kc·Nr·size is 64 KB for float32 at 512 bits (Zen 5's L1 is 48 KB; the panel streams),
    /// and Mc·Kc·size about 480 KB, half a 1 MB L2.
    /// </summary>
    public static BlockSizes For<T>(VectorWidth width)
        where T : unmanaged
    {
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var vectors = width == VectorWidth.Vector512 || VectorWidths.HasWideRegisterFile ? 4 : 2;
        var lanes = width switch
        {
            VectorWidth.Vector512 => Vector512<byte>.Count / size,
            VectorWidth.Vector256 => Vector256<byte>.Count / size,
            VectorWidth.Vector128 => Vector128<byte>.Count / size,
            _ => 1,
        };
        const int kc = 256;
        var mc = Math.Max(MaxRows, 480 * sizeof(float) / size / MaxRows * MaxRows);
        return new BlockSizes(MaxRows, vectors, lanes, kc, mc);
    }
}
