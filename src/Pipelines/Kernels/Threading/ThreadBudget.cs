namespace Pipelines.Kernels.Threading;

/// <summary>
/// How many threads one kernel may use (default: every core), for the whole process, as PyTorch's
/// <c>torch.set_num_threads</c>. Results never depend on it: threads split rows and columns of a product and chunks of
/// element-wise passes, never a reduction, so any budget gives the same bits. Kernels running side by side (the
/// trainer's gradient workers, an inference pipeline's slots) share the helper threads the library keeps, each taking
/// the ones no other kernel holds, so they need no budget of their own. An idle helper waits for its next part spinning,
/// yielding its core, for up to a millisecond after a kernel, then sleeps.
/// </summary>
public static class ThreadBudget
{
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>The most threads one product or element-wise pass may use; at least 1.</summary>
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
