using System.Collections.Immutable;
using Pipelines.Layers;

namespace Pipelines.Dataflow;

/// <summary>A model's metrics over a data source, in evaluation mode and in the data's order: no trainer or optimizer needed.</summary>
public static class Evaluation
{
    /// <summary>Each metric folded over every batch of <paramref name="data"/>, by name.</summary>
    /// <param name="model">The model, run in evaluation mode.</param>
    /// <param name="data">The data, read once in order.</param>
    /// <param name="metrics">The metrics (<see cref="Metric.Accuracy"/>, <see cref="Metric.Loss"/>, …); names must differ.</param>
    /// <param name="batchSize">Examples per forward pass; the values do not depend on it.</param>
    /// <param name="cancellation">Stops the evaluation.</param>
    public static async Task<ImmutableSortedDictionary<string, double>> EvaluateAsync(Layer model, DataSource data, IReadOnlyList<Metric> metrics, int batchSize = 256, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (metrics.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"Metric names must differ, but '{twice.Key}' is given {twice.Count()} times.", nameof(metrics));
        var folds = metrics.Select(m => m.Start()).ToArray();
        await foreach (var plan in data.Plan(new PlanRequest(0, 0, batchSize, false, null, 1), cancellation).ConfigureAwait(false))
        {
            var batch = data.Load(plan, null, default);
            var outputs = model.Forward(batch.Features);
            for (var m = 0; m < folds.Length; m++)
                folds[m] = folds[m].Add(outputs, batch.Targets);
        }
        return folds.ToImmutableSortedDictionary(f => f.Metric.Name, f => f.Value, StringComparer.Ordinal);
    }
}
