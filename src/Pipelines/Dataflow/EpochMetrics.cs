using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// The training metrics of the epoch so far, folded over its batches: the loss weighted by batch size, then the options'
/// metrics. A value: <see cref="Add"/> returns the metrics with one more batch.
/// </summary>
/// <param name="LossName">The loss metric's name.</param>
/// <param name="Loss">The batches' summed loss and example count.</param>
/// <param name="Folds">The options' metrics so far.</param>
internal sealed record EpochMetrics(string LossName, MetricSum Loss, ImmutableArray<MetricFold> Folds)
{
    /// <summary>No batch yet, for the loss named <paramref name="loss"/> and <paramref name="metrics"/>.</summary>
    public static EpochMetrics Start(Metric loss, IEnumerable<Metric> metrics) =>
        new(loss.Name, default, [.. metrics.Select(m => m.Start())]);

    /// <summary>The metrics with the batch of <paramref name="count"/> examples whose mean loss is <paramref name="loss"/> added.</summary>
    public EpochMetrics Add(double loss, int count, Tensor outputs, Tensor targets) =>
        this with { Loss = Loss + new MetricSum(loss * count, count), Folds = [.. Folds.Select(f => f.Add(outputs, targets))] };

    /// <summary>Each metric's value by name, the loss included.</summary>
    public ImmutableSortedDictionary<string, double> Values =>
        Folds.Select(f => (f.Metric.Name, f.Value)).Prepend((Name: LossName, Loss.Value)).ToImmutableSortedDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);

    /// <summary>No batch yet, with the same metrics.</summary>
    public EpochMetrics Restart() => new(LossName, default, [.. Folds.Select(f => f.Metric.Start())]);
}
