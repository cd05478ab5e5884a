using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Pipelines.Kernels.Threading;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// The BLIS loop nest: for each reduction block pc, pack B (unless it is pre-packed); for each row block ic,
/// pack A; then for each column panel and each row tile, run the micro-kernel. Threads take disjoint row or
/// column ranges of C, never parts of the reduction, and every element is the same chain of fused
/// multiply-adds in p order whatever the blocking, so results are bitwise independent of threads and batch size.
/// </summary>
internal static unsafe class GemmDriver
{
    /// <summary>Below about 4 MFLOP (tens of microseconds) a product stays on the calling thread.</summary>
    private const long ParallelFlops = 1L << 22;

    /// <summary>Runs <paramref name="problem"/> with the blocking <paramref name="blocking"/> (this machine's for <paramref name="width"/> unless a test sets another).</summary>
    public static void Run<T>(in GemmProblem<T> problem, VectorWidth width, int threads, BlockSizes? blocking = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var blocks = blocking ?? BlockSizes.For<T>(width);
        var wide = blocks.Vectors == 4;
        switch (width)
        {
            case VectorWidth.Vector512:
                Run<Vector512Ops<T>, Vector512<T>, T, Four>(problem, blocks, threads);
                break;
            case VectorWidth.Vector256 when wide:
                Run<Vector256Ops<T>, Vector256<T>, T, Four>(problem, blocks, threads);
                break;
            case VectorWidth.Vector256:
                Run<Vector256Ops<T>, Vector256<T>, T, Two>(problem, blocks, threads);
                break;
            case VectorWidth.Vector128 when wide:
                Run<Vector128Ops<T>, Vector128<T>, T, Four>(problem, blocks, threads);
                break;
            case VectorWidth.Vector128:
                Run<Vector128Ops<T>, Vector128<T>, T, Two>(problem, blocks, threads);
                break;
            case VectorWidth.Scalar when wide:
                Run<ScalarOps<T>, T, T, Four>(problem, blocks, threads);
                break;
            default:
                Run<ScalarOps<T>, T, T, Two>(problem, blocks, threads);
                break;
        }
    }

    private static void Run<TOps, TVector, T, TVectors>(GemmProblem<T> problem, BlockSizes blocks, int threads)
        where TOps : IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVectors : IConstant
    {
        var (m, n, k) = (problem.A.Rows, problem.B.Cols, problem.A.Cols);
        if (m == 0 || n == 0)
            return;
        if (k == 0)
        {
            InitializeWithoutProduct(problem);
            return;
        }
        var rowTiles = (m + blocks.Mr - 1) / blocks.Mr;
        var panels = (n + blocks.Nr - 1) / blocks.Nr;
        var splitRows = SplitRows(problem, rowTiles, panels, threads);
        var parts = threads > 1 && 2L * m * n * k >= ParallelFlops ? Math.Min(threads, splitRows ? rowTiles : panels) : 1;
        if (parts == 1)
            Sequential<TOps, TVector, T, TVectors>(problem, blocks, 0, m, 0, panels);
        else
            InParts<TOps, TVector, T, TVectors>(problem, blocks, parts, splitRows, rowTiles, panels);
    }

    /// <summary>
    /// The product's parts on the kernel threads: a method of its own so that only a parallel product allocates the
    /// lambda's closure (C# creates it where the captured variables are declared, on every call).
    /// </summary>
    private static void InParts<TOps, TVector, T, TVectors>(GemmProblem<T> problem, BlockSizes blocks, int parts, bool splitRows, int rowTiles, int panels)
        where TOps : IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVectors : IConstant
    {
        var m = problem.A.Rows;
        KernelThreads.Run(parts, part =>
        {
            if (splitRows)
            {
                var first = (int)((long)rowTiles * part / parts) * blocks.Mr;
                var end = Math.Min(m, (int)((long)rowTiles * (part + 1) / parts) * blocks.Mr);
                Sequential<TOps, TVector, T, TVectors>(problem, blocks, first, end, 0, panels);
            }
            else
            {
                Sequential<TOps, TVector, T, TVectors>(problem, blocks, 0, m, (int)((long)panels * part / parts), (int)((long)panels * (part + 1) / parts));
            }
        });
    }

    /// <summary>
    /// Whether threads take rows of C rather than columns. The busiest thread sets the time, so the split that shares
    /// whole tiles more evenly wins when the two differ by more than 2 % (a weight gradient of 784 columns is 13 panels,
    /// 7 against 6 on two threads, but 86 row tiles, 43 each). Otherwise each thread packs the blocks of the operand the
    /// other split shares: B (k × n) when rows are split, A (m × k) when columns are; split so the smaller is packed
    /// again, unless it costs nothing (B pre-packed, A read in place). A split needs at least a unit per thread.
    /// </summary>
    private static bool SplitRows<T>(in GemmProblem<T> problem, int rowTiles, int panels, int threads)
        where T : unmanaged
    {
        if (panels < threads)
            return true;
        if (rowTiles < threads)
            return false;
        var (rowShare, panelShare) = (BusiestShare(rowTiles, threads), BusiestShare(panels, threads));
        if (Math.Abs(rowShare - panelShare) > 0.02)
            return rowShare < panelShare;
        var (m, n, k) = ((long)problem.A.Rows, (long)problem.B.Cols, (long)problem.A.Cols);
        var repackedB = problem.PackedB is null ? k * n : 0;
        var repackedA = problem.A.ColStride == 1 ? 0 : m * k;
        return repackedB == repackedA ? rowTiles >= panels : repackedB < repackedA;
    }

    /// <summary>The fraction of <paramref name="units"/> the busiest of <paramref name="threads"/> gets.</summary>
    private static double BusiestShare(int units, int threads) => (double)((units + threads - 1) / threads) / units;

    /// <summary>
    /// The loop nest over rows [rowStart, rowEnd) and column panels [panelStart, panelEnd) of C: column blocks of at
    /// most Nc, reduction blocks of Kc, row blocks of at most Mc made equal (so no thin last block re-streams the B
    /// block for a few rows), then column panels and row tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sequential<TOps, TVector, T, TVectors>(GemmProblem<T> problem, BlockSizes blocks, int rowStart, int rowEnd, int panelStart, int panelEnd)
        where TOps : IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVectors : IConstant
    {
        var (mr, nr, kcMax) = (blocks.Mr, blocks.Nr, blocks.Kc);
        var (n, k) = (problem.B.Cols, problem.A.Cols);
        var rowBlocks = (rowEnd - rowStart + blocks.Mc - 1) / blocks.Mc;
        var mcMax = ((rowEnd - rowStart + rowBlocks - 1) / rowBlocks + mr - 1) / mr * mr;
        var panelsPerBlock = Math.Max(1, blocks.Nc / nr);
        var inPlaceA = problem.A.ColStride == 1 && !blocks.PacksRowMajorA(problem.A.RowStride * sizeof(T), mcMax, Math.Min(kcMax, k), sizeof(T), panelEnd - panelStart);
        var packedA = inPlaceA ? null : Workspace.Get<T>(0, (long)mcMax * kcMax);
        var packedB = problem.PackedB is null ? Workspace.Get<T>(1, (long)kcMax * Math.Min(panelsPerBlock, panelEnd - panelStart) * nr) : null;
        var tile = stackalloc T[BlockSizes.MaxRows * nr];
        var zeros = ZeroRow<T>.Data;
        for (var jc = panelStart; jc < panelEnd; jc += panelsPerBlock)
        {
            var jcEnd = Math.Min(panelEnd, jc + panelsPerBlock);
            for (var pc = 0; pc < k; pc += kcMax)
            {
                var kc = Math.Min(kcMax, k - pc);
                T* panelBase;
                nint panelStride;
                if (problem.PackedB is { } prepacked)
                {
                    panelStride = (nint)k * nr;
                    panelBase = prepacked.Data + ((nint)pc * nr);
                }
                else
                {
                    panelStride = (nint)kc * nr;
                    Packing.PackB(problem.B, pc, kc, nr, jc, jcEnd, packedB, panelStride);
                    panelBase = packedB - (jc * panelStride);
                }
                for (var ic = rowStart; ic < rowEnd; ic += mcMax)
                {
                    var mc = Math.Min(mcMax, rowEnd - ic);
                    // A row-major A is read in place (its rows are contiguous along p) unless its rows crowd L1's or L2's sets; any other layout is packed.
                    T* aBlock;
                    nint aRowStride, aColStride;
                    if (inPlaceA)
                    {
                        (aRowStride, aColStride) = (problem.A.RowStride, 1);
                        aBlock = problem.A.Data + (ic * aRowStride) + pc;
                    }
                    else
                    {
                        (aRowStride, aColStride) = (1, mr);
                        Packing.PackA(problem.A, ic, mc, pc, kc, mr, packedA);
                        aBlock = packedA;
                    }
                    for (var panel = jc; panel < jcEnd; panel++)
                    {
                        var b = panelBase + (panel * panelStride);
                        var cols = Math.Min(nr, n - (panel * nr));
                        for (var ir = 0; ir < mc; ir += mr)
                        {
                            var rows = Math.Min(mr, mc - ir);
                            var a = aBlock + (ir * (inPlaceA ? aRowStride : kc));
                            var c = problem.C + ((ic + ir) * problem.Ldc) + (panel * nr);
                            // Accumulators start from C once it holds a partial sum (or on accumulate), else from the bias or zero.
                            var continues = pc > 0 || problem.Epilogue == Epilogue.Accumulate;
                            var init = continues ? c : problem.Epilogue == Epilogue.AddBias ? problem.Bias + (panel * nr) : zeros;
                            var initStride = continues ? problem.Ldc : 0;
                            if (cols == nr)
                            {
                                Kernel<TOps, TVector, T, TVectors>(rows, kc, a, aRowStride, aColStride, b, c, problem.Ldc, init, initStride);
                                continue;
                            }
                            // A right-edge tile: run the full-width kernel on a scratch tile, then keep the valid columns.
                            for (var r = 0; r < rows; r++)
                            {
                                new ReadOnlySpan<T>(init + (r * initStride), cols).CopyTo(new Span<T>(tile + (r * nr), cols));
                                new Span<T>(tile + (r * nr) + cols, nr - cols).Clear();
                            }
                            Kernel<TOps, TVector, T, TVectors>(rows, kc, a, aRowStride, aColStride, b, tile, nr, tile, nr);
                            for (var r = 0; r < rows; r++)
                                new ReadOnlySpan<T>(tile + (r * nr), cols).CopyTo(new Span<T>(c + (r * problem.Ldc), cols));
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel<TOps, TVector, T, TVectors>(int rows, int kc, T* a, nint aRowStride, nint aColStride, T* b, T* c, nint ldc, T* init, nint initStride)
        where TOps : IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVectors : IConstant
    {
        switch (rows)
        {
            case 6:
                MicroKernel<TOps, TVector, T, Six, TVectors>.Run(kc, a, aRowStride, aColStride, b, c, ldc, init, initStride);
                break;
            case 5:
                MicroKernel<TOps, TVector, T, Five, TVectors>.Run(kc, a, aRowStride, aColStride, b, c, ldc, init, initStride);
                break;
            case 4:
                MicroKernel<TOps, TVector, T, Four, TVectors>.Run(kc, a, aRowStride, aColStride, b, c, ldc, init, initStride);
                break;
            case 3:
                MicroKernel<TOps, TVector, T, Three, TVectors>.Run(kc, a, aRowStride, aColStride, b, c, ldc, init, initStride);
                break;
            case 2:
                MicroKernel<TOps, TVector, T, Two, TVectors>.Run(kc, a, aRowStride, aColStride, b, c, ldc, init, initStride);
                break;
            default:
                MicroKernel<TOps, TVector, T, One, TVectors>.Run(kc, a, aRowStride, aColStride, b, c, ldc, init, initStride);
                break;
        }
    }

    /// <summary>An empty reduction: C is zero, the bias, or unchanged.</summary>
    private static void InitializeWithoutProduct<T>(in GemmProblem<T> problem)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (problem.Epilogue == Epilogue.Accumulate)
            return;
        var n = problem.B.Cols;
        for (var i = 0; i < problem.A.Rows; i++)
        {
            var row = new Span<T>(problem.C + (i * problem.Ldc), n);
            if (problem.Epilogue == Epilogue.AddBias)
                new ReadOnlySpan<T>(problem.Bias, n).CopyTo(row);
            else
                row.Clear();
        }
    }

    /// <summary>A pinned row of zeros as wide as any register tile, the start of every accumulator in an overwrite.</summary>
    private static class ZeroRow<T>
        where T : unmanaged
    {
        private static readonly T[] Storage = GC.AllocateArray<T>(Vector512<byte>.Count * 4, pinned: true);

        public static T* Data => (T*)Unsafe.AsPointer(ref Storage[0]);
    }
}
