namespace Pipelines.Kernels.Threading;

/// <summary>
/// How many threads the kernels may use (default: every core). Results never depend on it: threads split rows and
/// columns of a product and chunks of element-wise passes, never a reduction, so any budget gives the same bits.
/// Process-wide through <see cref="MaxThreads"/>; a scope from <see cref="Limit"/> narrows it for the code it flows to
/// (an async flow, a worker), so workers running side by side share the cores instead of each taking all of them.
/// The extra threads are helpers the library keeps for its kernels: one waits for its next part spinning, yielding its
/// core, for up to a millisecond after a kernel, then sleeps.
/// </summary>
public static class ThreadBudget
{
    private static readonly AsyncLocal<int> s_scoped = new();
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>The most threads one product may use here: the innermost <see cref="Limit"/> in effect, else the process-wide value; at least 1.</summary>
    public static int MaxThreads
    {
        get => s_scoped.Value is > 0 and var scoped ? Math.Min(scoped, Volatile.Read(ref s_maxThreads)) : Volatile.Read(ref s_maxThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref s_maxThreads, value);
        }
    }

    /// <summary>Limits the kernels to <paramref name="threads"/> threads in this async flow until the scope is disposed.</summary>
    /// <param name="threads">The most threads, at least 1.</param>
    public static IDisposable Limit(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var previous = s_scoped.Value;
        s_scoped.Value = threads;
        return new Scope(previous);
    }

    private sealed class Scope(int previous) : IDisposable
    {
        public void Dispose() => s_scoped.Value = previous;
    }
}
