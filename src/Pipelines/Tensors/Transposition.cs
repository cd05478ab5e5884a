namespace Pipelines.Tensors;

/// <summary>
/// The one matrix transpose of the library: rows × cols from a source with row stride <c>sourceStride</c> into a
/// destination with row stride <c>destinationStride</c> (element (r, c) goes to (c, r)). Tensors, GEMM packing and
/// initialisers all transpose through it. It walks square tiles so both sides stay in cache whatever the sizes.
/// </summary>
internal static class Transposition
{
    private const int Tile = 16;

    public static void Transpose<T>(ReadOnlySpan<T> source, int rows, int cols, int sourceStride, Span<T> destination, int destinationStride)
    {
        for (var r0 = 0; r0 < rows; r0 += Tile)
        {
            var rEnd = Math.Min(rows, r0 + Tile);
            for (var c0 = 0; c0 < cols; c0 += Tile)
            {
                var cEnd = Math.Min(cols, c0 + Tile);
                for (var r = r0; r < rEnd; r++)
                {
                    var row = source.Slice(r * sourceStride);
                    for (var c = c0; c < cEnd; c++)
                        destination[(c * destinationStride) + r] = row[c];
                }
            }
        }
    }
}
