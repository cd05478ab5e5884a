using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>A metric's running total over the batches seen so far; the metric's value is <see cref="Value"/>.</summary>
/// <param name="Total">The sum of the batches' contributions.</param>
/// <param name="Count">How many examples (or other units) they weigh.</param>
public readonly record struct MetricSum(double Total, double Count)
{
    /// <summary>Total / Count (NaN before any batch).</summary>
    public double Value => Total / Count;

    /// <summary>Both sums added.</summary>
    /// <param name="a">One running total.</param>
    /// <param name="b">Another.</param>
    public static MetricSum operator +(MetricSum a, MetricSum b) => new(a.Total + b.Total, a.Count + b.Count);
}

/// <summary>
/// A metric as a pure fold over batches: each batch's outputs and targets give a <see cref="MetricSum"/>, the sums add,
/// and the value is their ratio. So a metric over an epoch is exact whatever the batch size, and replayable.
/// </summary>
/// <param name="name">The metric's name in reports (<c>accuracy</c>, <c>loss</c>).</param>
/// <param name="measure">One batch's contribution from the model's outputs and the targets.</param>
/// <param name="higherIsBetter">Whether larger values are better (for monitors that do not say).</param>
public sealed class Metric(string name, Func<Tensor, Tensor, MetricSum> measure, bool higherIsBetter)
{
    /// <summary>The name in reports.</summary>
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>Whether larger values are better.</summary>
    public bool HigherIsBetter { get; } = higherIsBetter;

    /// <summary>One batch's contribution.</summary>
    /// <param name="outputs">The model's outputs for the batch.</param>
    /// <param name="targets">The batch's targets.</param>
    public MetricSum Measure(Tensor outputs, Tensor targets) => measure(outputs, targets);

    /// <summary>The fraction of rows whose largest output is at the target class index.</summary>
    public static Metric Accuracy { get; } = new("accuracy", (outputs, targets) =>
    {
        var (rows, classes) = (outputs.Shape[0], outputs.Shape.Last);
        var scores = outputs.To(DType.Float32).AsSpan<float>();
        var labels = targets.ToInt64Array();
        var correct = 0;
        for (var r = 0; r < rows; r++)
            correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores.Slice(r * classes, classes)) == labels[r] ? 1 : 0;
        return new MetricSum(correct, rows);
    }, higherIsBetter: true);

    /// <summary>The mean of a loss over examples: each batch weighs its mean loss by its size.</summary>
    /// <param name="loss">The loss, reducing by the mean.</param>
    /// <param name="name">The name in reports.</param>
    public static Metric Loss(Func<Tensor, Tensor, LossValue> loss, string name = "loss")
    {
        ArgumentNullException.ThrowIfNull(loss);
        return new(name, (outputs, targets) => new MetricSum(loss(outputs, targets).Value * outputs.Shape[0], outputs.Shape[0]), higherIsBetter: false);
    }
}
