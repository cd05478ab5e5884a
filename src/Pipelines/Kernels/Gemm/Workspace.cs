using System.Runtime.CompilerServices;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// Per-thread scratch for packed panels: pinned (so a pointer stays valid), 64-byte aligned (so 512-bit loads never
/// straddle cache lines), grown on demand and then reused, so a product allocates nothing in steady state.
/// </summary>
internal static unsafe class Workspace
{
    /// <summary>The slot for a product's result on its way to being transposed (slots 0 and 1 hold the driver's A and B blocks).</summary>
    public const int ResultSlot = 2;

    private const int Alignment = 64;
    private const int Slots = 3;

    [ThreadStatic]
    private static byte[][]? t_buffers;

    /// <summary>Slot 0 holds packed A blocks, slot 1 packed B blocks, slot 2 a result to transpose.</summary>
    public static T* Get<T>(int slot, long count)
        where T : unmanaged
    {
        var buffers = t_buffers ??= new byte[Slots][];
        var bytes = (count * Unsafe.SizeOf<T>()) + Alignment;
        if (buffers[slot] is not { } buffer || buffer.LongLength < bytes)
            buffers[slot] = buffer = GC.AllocateUninitializedArray<byte>((int)Math.Max(bytes, 4096), pinned: true);
        var address = (nint)Unsafe.AsPointer(ref buffer[0]);
        return (T*)((address + Alignment - 1) & ~(nint)(Alignment - 1));
    }
}
