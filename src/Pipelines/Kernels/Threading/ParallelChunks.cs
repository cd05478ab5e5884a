namespace Pipelines.Kernels.Threading;

/// <summary>
/// Splits a pass over a long array, or over the columns of a matrix, into one contiguous chunk per thread of the budget.
/// Only passes that touch enough elements to repay a second thread are split, and every element is computed by the same
/// rule whichever chunk holds it, so the split never changes a bit.
/// </summary>
internal static class ParallelChunks
{
    /// <summary>
    /// Below this many elements per thread, a second thread does not repay its start: a short pass takes about as long
    /// as a helper that has lost its core needs to begin its part (docs/performance.md has the measurement that set it).
    /// </summary>
    private const int MinimumPerThread = 1 << 15;

    /// <summary>Chunks of an array start at multiples of this many elements, so each begins on a 256-byte boundary.</summary>
    private const int Alignment = 64;

    /// <summary>Runs <paramref name="body"/> on [start, end) chunks that cover [0, <paramref name="count"/>), in parallel when it pays.</summary>
    public static void Run(int count, Action<int, int> body) => Run(count, count, Alignment, body);

    /// <summary>
    /// Runs <paramref name="body"/> on [start, end) chunks of <paramref name="units"/> (chunks start at multiples of
    /// <paramref name="alignment"/>), split in as many parts as a pass over <paramref name="elements"/> elements repays:
    /// the columns of a matrix, say, whose rows each chunk walks.
    /// </summary>
    public static void Run(int units, long elements, int alignment, Action<int, int> body)
    {
        var parts = (int)Math.Clamp(elements / MinimumPerThread, 1, Math.Min(ThreadBudget.MaxThreads, Math.Max(1, units / alignment)));
        if (parts == 1)
        {
            body(0, units);
            return;
        }
        KernelThreads.Run(parts, part => body(Boundary(units, part, parts, alignment), Boundary(units, part + 1, parts, alignment)));
    }

    private static int Boundary(int count, int part, int parts, int alignment) =>
        part == parts ? count : (int)((long)count * part / parts / alignment * alignment);
}
