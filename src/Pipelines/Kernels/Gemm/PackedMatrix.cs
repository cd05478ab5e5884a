using System.Runtime.CompilerServices;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// A right-hand matrix packed once for every reduction block: panel j holds all K rows of Nr columns, so a
/// block starting at row p is at <c>Data + j·K·Nr + p·Nr</c>. A layer's weights never change, so their
/// packed form is computed once and reused by every product with them.
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

    /// <summary>The first element; the storage is pinned, so the pointer is valid while this object lives.</summary>
    public T* Data => (T*)Unsafe.AsPointer(ref _storage[0]) + _alignedOffset;

    public static PackedMatrix<T> Pack(MatrixView<T> b, VectorWidth width)
    {
        var nr = BlockSizes.For<T>(width).Nr;
        var panels = (b.Cols + nr - 1) / nr;
        var count = (long)panels * b.Rows * nr;
        var padding = 64 / Unsafe.SizeOf<T>();
        var storage = GC.AllocateUninitializedArray<T>((int)(count + padding), pinned: true);
        var address = (nint)Unsafe.AsPointer(ref storage[0]);
        var offset = (((address + 63) & ~(nint)63) - address) / Unsafe.SizeOf<T>();
        var packed = new PackedMatrix<T>(storage, offset, b.Rows, b.Cols, width, nr);
        Packing.PackB(b, 0, b.Rows, nr, 0, panels, packed.Data, (nint)b.Rows * nr);
        GC.KeepAlive(packed);
        return packed;
    }
}
