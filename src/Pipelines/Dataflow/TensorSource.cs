using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>Examples as rows of two tensors: shuffled by a permutation, loaded by selecting rows.</summary>
internal sealed class TensorSource : DataSource
{
    private readonly Tensor _features;
    private readonly Tensor _targets;

    public TensorSource(Tensor features, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (features.Rank == 0 || targets.Rank == 0 || features.Shape[0] != targets.Shape[0])
            throw new ArgumentException($"A data source needs features and targets with one row per example but got {features.Shape} and {targets.Shape}.");
        (_features, _targets) = (features, targets);
    }

    public override long? Count => _features.Shape[0];

    /// <summary>A source of these rows alone, in this order.</summary>
    public TensorSource Rows(int[] rows) => new(_features.IndexSelect(rows), _targets.IndexSelect(rows));

    internal override IAsyncEnumerable<BatchPlan> Plan(PlanRequest request, CancellationToken cancellation) => Plans(_features.Shape[0], request, cancellation);

    /// <summary>The epoch's batches of a source of <paramref name="count"/> rows: a permutation of the shuffle key, or the rows in order.</summary>
    internal static async IAsyncEnumerable<BatchPlan> Plans(int count, PlanRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        var order = request.ShuffleKey is { } key ? Shuffling.Permutation(key, request.Epoch, count) : Enumerable.Range(0, count).ToArray();
        var end = request.DropLast ? count / request.BatchSize * request.BatchSize : count;
        for (var position = (int)request.Skip; position < end; position += request.BatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var length = Math.Min(request.BatchSize, end - position);
            yield return new BatchPlan(request.Epoch, position, position + length >= end, order[position..(position + length)], null);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    internal override Batch Load(BatchPlan plan, Func<Example, Key, Example>? transform, Key transformKey)
    {
        var rows = plan.Rows!;
        if (transform is null)
            return new Batch(_features.IndexSelect(rows), _targets.IndexSelect(rows), plan.Epoch, plan.Position, plan.IsLastOfEpoch) { Indices = [.. rows.Select(r => (long)r)] };
        return Stack(plan, rows.Select(r => ((long)r, new Example(_features[r], _targets[r]))), transform, transformKey);
    }
}
