using System.Runtime.CompilerServices;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// A right-hand matrix packed for every reduction block at once: panel j holds all K rows of Nr columns, so a
/// block starting at row p is at <c>Data + j·K·Nr + p·Nr</c>, in a pinned array kept with a layer's weight and
/// reused by every product with it.
/// </summary>
internal sealed unsafe class PackedMatrix<T>
    where T : unmanaged
{
    private readonly T[] _storage;
    private readonly nint _alignedOffset;

    private PackedMatrix(T[] storage, nint alignedOffset, int rows, int cols, VectorWidth width, int nr)
    {
        _storage = storage;
        _alignedOffset = alignedOffset;
        Rows = rows;
        Cols = cols;
        Width = width;
        Nr = nr;
    }

    public int Rows { get; }

    public int Cols { get; }

    public VectorWidth Width { get; }

    public int Nr { get; }

    /// <summary>The first element, 64-byte aligned in the pinned array.</summary>
    public T* Data => (T*)Unsafe.AsPointer(ref _storage[0]) + _alignedOffset;

    /// <summary>Packs into a new pinned array owned by the result, for a matrix that will be used again.</summary>
    public static PackedMatrix<T> Pack(MatrixView<T> b, VectorWidth width)
    {
        var (nr, panels, count) = Layout(b, width);
        var padding = 64 / Unsafe.SizeOf<T>();
        var storage = GC.AllocateUninitializedArray<T>((int)(count + padding), pinned: true);
        var address = (nint)Unsafe.AsPointer(ref storage[0]);
        var offset = (((address + 63) & ~(nint)63) - address) / Unsafe.SizeOf<T>();
        var packed = new PackedMatrix<T>(storage, offset, b.Rows, b.Cols, width, nr);
        Packing.PackB(b, 0, b.Rows, nr, 0, panels, packed.Data, (nint)b.Rows * nr);
        return packed;
    }

    private static (int Nr, int Panels, long Count) Layout(MatrixView<T> b, VectorWidth width)
    {
        var nr = BlockSizes.For<T>(width).Nr;
        var panels = (b.Cols + nr - 1) / nr;
        return (nr, panels, (long)panels * b.Rows * nr);
    }
}
