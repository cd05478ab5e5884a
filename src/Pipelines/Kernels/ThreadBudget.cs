namespace Pipelines.Kernels;

/// <summary>
/// How many threads the kernels may use, process-wide (default: every core). Results never depend on it:
/// threads split rows and columns of a product, never its reduction, so any budget gives the same bits.
/// </summary>
public static class ThreadBudget
{
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>The most threads one product may use; at least 1.</summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref s_maxThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref s_maxThreads, value);
        }
    }
}
