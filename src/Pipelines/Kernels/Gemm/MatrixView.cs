namespace Pipelines.Kernels.Gemm;

/// <summary>
/// A matrix in borrowed memory addressed by strides: element (i, j) is at <c>Data[i·RowStride + j·ColStride]</c>.
/// Transposes are views (swap the strides), so the three products of a linear layer are one engine.
/// </summary>
internal readonly unsafe struct MatrixView<T>(T* data, int rows, int cols, nint rowStride, nint colStride)
    where T : unmanaged
{
    public T* Data { get; } = data;

    public int Rows { get; } = rows;

    public int Cols { get; } = cols;

    public nint RowStride { get; } = rowStride;

    public nint ColStride { get; } = colStride;

    public T this[nint i, nint j] => Data[(i * RowStride) + (j * ColStride)];

    public MatrixView<T> Transposed => new(Data, Cols, Rows, ColStride, RowStride);
}
