namespace Pipelines.Dataflow;

/// <summary>How an <see cref="InferencePipeline"/> batches and bounds its requests.</summary>
public sealed record InferenceOptions
{
    /// <summary>The most requests one forward pass takes.</summary>
    public int MaxBatchSize { get; init; } = 64;

    /// <summary>
    /// How long the first request of a forming batch waits for others before the batch runs anyway (within half a
    /// millisecond: .NET's timed waits count whole milliseconds).
    /// </summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>How many requests may wait; one more is rejected with <see cref="InferenceRejectedException"/>.</summary>
    public int QueueCapacity { get; init; } = 4096;

    /// <summary>How many batches run at once (each with its share of the kernels' threads).</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>Throws the first bad option, by name.</summary>
    internal void Validate()
    {
        if (MaxBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "InferenceOptions.MaxBatchSize must be at least 1.");
        if (QueueCapacity < 1)
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "InferenceOptions.QueueCapacity must be at least 1.");
        if (Parallelism < 1)
            throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "InferenceOptions.Parallelism must be at least 1.");
        if (MaxDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "InferenceOptions.MaxDelay must not be negative.");
    }
}
