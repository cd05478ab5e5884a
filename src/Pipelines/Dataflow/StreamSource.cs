using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>Examples from a stream read again each epoch: shuffled through a bounded buffer, batched as they come.</summary>
internal sealed class StreamSource(Func<CancellationToken, IAsyncEnumerable<Example>> read) : DataSource
{
    public override long? Count => null;

    internal override async IAsyncEnumerable<BatchPlan> Plan(PlanRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        var indexed = Index(read(cancellation), cancellation);
        var ordered = request.ShuffleKey is { } key ? Shuffling.Buffered(indexed, key, request.Epoch, request.ShuffleBuffer, cancellation) : indexed;
        var (batch, position, held) = (new List<(long, Example)>(request.BatchSize), 0L, (BatchPlan?)null);
        await foreach (var example in ordered.WithCancellation(cancellation).ConfigureAwait(false))
        {
            if (position++ < request.Skip)
                continue;
            batch.Add(example);
            if (batch.Count < request.BatchSize)
                continue;
            // One batch is held back until the next exists, so the epoch's last batch is known to be last.
            if (held is not null)
                yield return held;
            held = new BatchPlan(request.Epoch, position - batch.Count, false, null, batch);
            batch = new List<(long, Example)>(request.BatchSize);
        }
        if (batch.Count > 0 && !request.DropLast)
        {
            if (held is not null)
                yield return held;
            held = new BatchPlan(request.Epoch, position - batch.Count, false, null, batch);
        }
        if (held is not null)
            yield return held with { IsLastOfEpoch = true };
    }

    internal override Batch Load(BatchPlan plan, Func<Example, Key, Example>? transform, Key transformKey) =>
        Stack(plan, plan.Examples!, transform, transformKey);

    private static async IAsyncEnumerable<(long Index, Example Example)> Index(IAsyncEnumerable<Example> examples, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        long index = 0;
        await foreach (var example in examples.WithCancellation(cancellation).ConfigureAwait(false))
            yield return (index++, example ?? throw new InvalidOperationException($"The data source gave null as example {index - 1}."));
    }
}
