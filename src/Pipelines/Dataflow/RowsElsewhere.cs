using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// A coordinator's view of an in-memory data source that lives on other machines: it plans each epoch exactly as a
/// <see cref="TensorSource"/> of that many examples does (the same permutation of the run's key), and a batch it loads
/// holds its rows' indices alone, with features and targets of shape [count, 0]: no example passes through it.
/// </summary>
internal sealed class RowsElsewhere : DataSource
{
    private readonly int _count;

    public RowsElsewhere(long count)
    {
        if (count is <= 0 or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(count), count, "A data source needs between 1 and 2³¹ − 1 examples.");
        _count = (int)count;
    }

    public override long? Count => _count;

    internal override IAsyncEnumerable<BatchPlan> Plan(PlanRequest request, CancellationToken cancellation) => TensorSource.Plans(_count, request, cancellation);

    internal override Batch Load(BatchPlan plan, Func<Example, Key, Example>? transform, Key transformKey)
    {
        var rows = plan.Rows!;
        var nothing = Tensor.Zeros(new Shape(rows.Length, 0));
        return new Batch(nothing, nothing, plan.Epoch, plan.Position, plan.IsLastOfEpoch) { Indices = [.. rows.Select(r => (long)r)] };
    }
}
