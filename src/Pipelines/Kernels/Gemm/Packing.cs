using System.Runtime.CompilerServices;

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
                // For A = dYᵀ (unit row stride) the mr values of one p are adjacent in memory.
                var column = source + (p * a.ColStride);
                var row = output + ((nint)p * mr);
                for (var r = 0; r < rows; r++)
                    row[r] = column[r * a.RowStride];
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
            // Column-strided B (a transposed weight) is a transpose: take a few rows p at a time so that the
            // output lines being filled stay in L1 while every column j is read contiguously along p.
            const int chunk = 16;
            for (var pStart = 0; pStart < kc; pStart += chunk)
            {
                var pEnd = Math.Min(kc, pStart + chunk);
                for (var j = 0; j < cols; j++)
                {
                    var source = b.Data + ((j0 + j) * b.ColStride) + ((p0 + pStart) * b.RowStride);
                    for (var p = pStart; p < pEnd; p++)
                        output[((nint)p * nr) + j] = source[(p - pStart) * b.RowStride];
                }
                for (var p = pStart; p < pEnd; p++)
                    new Span<T>(output + ((nint)p * nr) + cols, nr - cols).Clear();
            }
        }
    }
}
