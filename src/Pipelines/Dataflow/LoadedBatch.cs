using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Dataflow;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// A loader's outcome, a batch or the failure that took its place. The failure travels in order as a value: a
/// <see cref="TransformBlock{TInput, TOutput}"/> that throws may still pass later batches on (EnsureOrdered does not hold
/// them back), and training one after a failed one would lose its examples.
/// </summary>
internal sealed record LoadedBatch(Batch? Batch, ExceptionDispatchInfo? Error)
{
    /// <summary>The run's loaders: up to <see cref="TrainerOptions.Loaders"/> plans read and transformed at once, handed on in order.</summary>
    public static TransformBlock<BatchPlan, LoadedBatch> Loaders(DataSource data, TrainerOptions options, Key transformKey, CancellationToken cancellation) =>
        new(plan => Load(data, plan, options.Transform, transformKey),
            new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = options.Loaders, BoundedCapacity = options.Loaders, EnsureOrdered = true, CancellationToken = cancellation });

    /// <summary>The batch, or the loader's failure rethrown as it was thrown.</summary>
    public Batch Take()
    {
        Error?.Throw();
        return Batch!;
    }

    private static LoadedBatch Load(DataSource data, BatchPlan plan, Func<Example, Key, Example>? transform, Key transformKey)
    {
        try
        {
            return new LoadedBatch(data.Load(plan, transform, transformKey), null);
        }
        catch (Exception e)
        {
            return new LoadedBatch(null, ExceptionDispatchInfo.Capture(e));
        }
    }
}
