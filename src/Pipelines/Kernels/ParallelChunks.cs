namespace Pipelines.Kernels;

/// <summary>
/// Splits an element-wise pass over a long array into one contiguous chunk per thread of the budget. Only passes that
/// are long enough to repay waking a thread are split, and every element is computed by the same rule whichever chunk
/// holds it, so the split never changes a bit.
/// </summary>
internal static class ParallelChunks
{
    /// <summary>Below this many elements per thread, a second thread costs more than it saves (a pass of 32 K floats takes a few microseconds).</summary>
    private const int MinimumPerThread = 1 << 15;

    /// <summary>Chunks start at multiples of this many elements, so each begins on a 256-byte boundary of its array.</summary>
    private const int Alignment = 64;

    /// <summary>Runs <paramref name="body"/> on [start, end) chunks that cover [0, <paramref name="count"/>), in parallel when it pays.</summary>
    public static void Run(int count, Action<int, int> body)
    {
        var parts = Math.Clamp(count / MinimumPerThread, 1, ThreadBudget.MaxThreads);
        if (parts == 1)
        {
            body(0, count);
            return;
        }
        KernelThreads.Run(parts, part => body(Boundary(count, part, parts), Boundary(count, part + 1, parts)));
    }

    private static int Boundary(int count, int part, int parts) =>
        part == parts ? count : (int)((long)count * part / parts / Alignment * Alignment);
}
