using System.Runtime.CompilerServices;
using Pipelines.Tensors;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// Copies blocks of A and B into the order the micro-kernel reads them, padding partial panels with zeros.
/// A panel: for each p, Mr consecutive row values. B panel: for each p, Nr consecutive column values.
/// Optimised from the first call: a large product may run only a few times, too few for tiered JIT to promote a loop.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>Rows [i0, i0+mc) × columns [p0, p0+kc) of A as ⌈mc/mr⌉ panels of kc × mr.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(MatrixView<T> a, int i0, int mc, int p0, int kc, int mr, T* destination)
        where T : unmanaged
    {
        for (var panel = 0; panel < mc; panel += mr)
        {
            var rows = Math.Min(mr, mc - panel);
            var output = destination + ((nint)panel * kc);
            var source = a.Data + ((i0 + panel) * a.RowStride) + (p0 * a.ColStride);
            for (var p = 0; p < kc; p++)
            {
                var column = source + (p * a.ColStride);
                var row = output + ((nint)p * mr);
                // For A = dYᵀ (unit row stride) the mr values of one p are adjacent in memory: one block copy.
                if (a.RowStride == 1)
                {
                    Unsafe.CopyBlockUnaligned(row, column, (uint)(rows * sizeof(T)));
                }
                else
                {
                    for (var r = 0; r < rows; r++)
                        row[r] = column[r * a.RowStride];
                }
                for (var r = rows; r < mr; r++)
                    row[r] = default;
            }
        }
    }

    /// <summary>
    /// Rows [p0, p0+kc) of B for the column panels [firstPanel, endPanel), each kc × nr, the first at
    /// <paramref name="destination"/> and the next <paramref name="panelStride"/> elements later.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(MatrixView<T> b, int p0, int kc, int nr, int firstPanel, int endPanel, T* destination, nint panelStride)
        where T : unmanaged
    {
        for (var panel = firstPanel; panel < endPanel; panel++)
        {
            var j0 = panel * nr;
            var cols = Math.Min(nr, b.Cols - j0);
            var output = destination + ((panel - firstPanel) * panelStride);
            if (b.ColStride == 1)
            {
                for (var p = 0; p < kc; p++)
                {
                    var row = output + ((nint)p * nr);
                    new ReadOnlySpan<T>(b.Data + ((p0 + p) * b.RowStride) + j0, cols).CopyTo(new Span<T>(row, cols));
                    new Span<T>(row + cols, nr - cols).Clear();
                }
                continue;
            }
            // Column-strided B (a transposed weight, rows along p contiguous) is a transpose of its [cols, kc] block.
            if (b.RowStride != 1)
                throw new InvalidOperationException("A packed operand needs unit stride along its rows or its columns.");
            var source = new ReadOnlySpan<T>(b.Data + (j0 * b.ColStride) + p0, (int)(((cols - 1) * b.ColStride) + kc));
            var block = new Span<T>(output, kc * nr);
            Transposition.Transpose(source, cols, kc, (int)b.ColStride, block, nr);
            if (cols < nr)
            {
                for (var p = 0; p < kc; p++)
                    block.Slice((p * nr) + cols, nr - cols).Clear();
            }
        }
    }
}
