using System.Runtime.CompilerServices;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// A right-hand matrix packed for every reduction block at once: panel j holds all K rows of Nr columns, so a
/// block starting at row p is at <c>Data + j·K·Nr + p·Nr</c>. Either owned (a pinned array kept with a layer's
/// weight, reused by every product with it) or borrowed from the calling thread's workspace for one product.
/// </summary>
internal sealed unsafe class PackedMatrix<T>
    where T : unmanaged
{
    private readonly T[]? _storage;
    private readonly T* _borrowed;
    private readonly nint _alignedOffset;

    private PackedMatrix(T[]? storage, T* borrowed, nint alignedOffset, int rows, int cols, VectorWidth width, int nr)
    {
        _storage = storage;
        _borrowed = borrowed;
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

    /// <summary>The first element: of a pinned array, or of the borrowed workspace (valid until the thread's next borrow).</summary>
    public T* Data => _storage is null ? _borrowed : (T*)Unsafe.AsPointer(ref _storage[0]) + _alignedOffset;

    /// <summary>Packs into a new pinned array owned by the result, for a matrix that will be used again.</summary>
    public static PackedMatrix<T> Pack(MatrixView<T> b, VectorWidth width)
    {
        var (nr, panels, count) = Layout(b, width);
        var padding = 64 / Unsafe.SizeOf<T>();
        var storage = GC.AllocateUninitializedArray<T>((int)(count + padding), pinned: true);
        var address = (nint)Unsafe.AsPointer(ref storage[0]);
        var offset = (((address + 63) & ~(nint)63) - address) / Unsafe.SizeOf<T>();
        var packed = new PackedMatrix<T>(storage, null, offset, b.Rows, b.Cols, width, nr);
        Packing.PackB(b, 0, b.Rows, nr, 0, panels, packed.Data, (nint)b.Rows * nr);
        return packed;
    }

    /// <summary>
    /// Packs into the calling thread's workspace for one product: no allocation, and memory that is already warm,
    /// which matters when a matrix is used once (a weight during training is new every step).
    /// </summary>
    public static PackedMatrix<T> PackBorrowed(MatrixView<T> b, VectorWidth width)
    {
        var (nr, panels, count) = Layout(b, width);
        var packed = new PackedMatrix<T>(null, Workspace.Get<T>(Workspace.WeightSlot, count), 0, b.Rows, b.Cols, width, nr);
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
