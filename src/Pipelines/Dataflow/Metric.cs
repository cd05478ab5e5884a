using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>A ratio metric's running sums over the batches seen so far; the metric's value is <see cref="Value"/>.</summary>
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
/// A metric as a pure fold over batches: a seed, a step that adds one batch's outputs and targets, and the value of what
/// was folded. So a metric over an epoch is exact whatever the batch size, and replayable. Most metrics are a ratio of
/// two sums (<see cref="Metric(string, Func{Tensor, Tensor, MetricSum}, MonitorMode)"/>); <see cref="Fold"/> takes any state.
/// </summary>
public sealed class Metric
{
    private readonly Func<MetricFold> _start;

    private Metric(string name, MonitorMode mode, Func<Metric, MetricFold> start)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Mode = mode is MonitorMode.Min or MonitorMode.Max
            ? mode
            : throw new ArgumentOutOfRangeException(nameof(mode), mode, $"Metric '{name}' needs a direction, MonitorMode.Min or MonitorMode.Max.");
        _start = () => start(this);
    }

    /// <summary>A ratio metric: each batch gives a <see cref="MetricSum"/>, the sums add, and the value is their ratio.</summary>
    /// <param name="name">The metric's name in reports (<c>accuracy</c>, <c>loss</c>).</param>
    /// <param name="measure">One batch's contribution from the model's outputs and the targets.</param>
    /// <param name="mode">Whether lower (<see cref="MonitorMode.Min"/>) or higher (<see cref="MonitorMode.Max"/>) values are better.</param>
    public Metric(string name, Func<Tensor, Tensor, MetricSum> measure, MonitorMode mode)
        : this(name, mode, StartRatio(measure, sum => sum.Value))
    {
    }

    /// <summary>The name in reports.</summary>
    public string Name { get; }

    /// <summary>Which way the metric improves; early stopping, best checkpoints and the plateau take it unless told otherwise.</summary>
    public MonitorMode Mode { get; }

    /// <summary>A metric folding any state: <paramref name="add"/> returns a new state and never changes the one it is given.</summary>
    /// <typeparam name="TState">What the fold carries from batch to batch.</typeparam>
    /// <param name="name">The name in reports.</param>
    /// <param name="mode">Whether lower or higher values are better.</param>
    /// <param name="seed">The state before any batch.</param>
    /// <param name="add">The state after one more batch of outputs and targets.</param>
    /// <param name="value">The metric's value for a state.</param>
    public static Metric Fold<TState>(string name, MonitorMode mode, TState seed, Func<TState, Tensor, Tensor, TState> add, Func<TState, double> value)
    {
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(value);
        return new(name, mode, metric => new MetricFold<TState>(metric, seed, add, value));
    }

    /// <summary>The fold before any batch.</summary>
    public MetricFold Start() => _start();

    /// <summary>The metric over one batch alone.</summary>
    /// <param name="outputs">The model's outputs for the batch.</param>
    /// <param name="targets">The batch's targets.</param>
    public double Measure(Tensor outputs, Tensor targets) => Start().Add(outputs, targets).Value;

    /// <summary>The fraction of rows whose largest output is at the target class index (outputs [N, C], C ≥ 2; int64 targets [N]).</summary>
    public static Metric Accuracy { get; } = new("accuracy", (outputs, targets) =>
    {
        const string name = "Metric 'accuracy'";
        if (outputs.Rank != 2 || outputs.Shape.Last < 2)
            throw new ArgumentException($"{name} takes a score per class, outputs [N, C] with C >= 2, but got {outputs.Shape}" + (outputs.Shape.Last == 1 ? "; a single logit per example is binary: use Metric.BinaryAccuracy." : "."));
        if (targets.DType != DType.Int64 || targets.Shape != new Shape(outputs.Shape[0]))
            throw new ArgumentException($"{name} takes int64 class indices [{outputs.Shape[0]}] as targets but got {targets.DType.Name()} {targets.Shape}.");
        var (rows, classes) = (outputs.Shape[0], outputs.Shape.Last);
        var scores = outputs.To(DType.Float32).AsSpan<float>();
        var labels = targets.AsSpan<long>();
        var correct = 0;
        for (var r = 0; r < rows; r++)
            correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores.Slice(r * classes, classes)) == labels[r] ? 1 : 0;
        return new MetricSum(correct, rows);
    }, MonitorMode.Max);

    /// <summary>
    /// The fraction of logits on the right side of 0 (probability 0.5): a logit above 0 predicts 1, and a target above 0.5
    /// is a 1. Every element counts, so it serves one binary output [N, 1] and multi-label outputs [N, L] alike.
    /// </summary>
    public static Metric BinaryAccuracy { get; } = new("binary_accuracy", (outputs, targets) =>
    {
        var (logits, truth) = Paired("binary_accuracy", outputs, targets);
        var correct = 0;
        for (var i = 0; i < logits.Length; i++)
            correct += logits[i] > 0 == truth[i] > 0.5 ? 1 : 0;
        return new MetricSum(correct, logits.Length);
    }, MonitorMode.Max);

    /// <summary>The mean absolute difference of outputs and targets, over every element.</summary>
    public static Metric MeanAbsoluteError { get; } = new("mae", (outputs, targets) => SumOf("mae", outputs, targets, d => Math.Abs(d)), MonitorMode.Min);

    /// <summary>The mean squared difference of outputs and targets, over every element.</summary>
    public static Metric MeanSquaredError { get; } = new("mse", (outputs, targets) => SumOf("mse", outputs, targets, d => d * d), MonitorMode.Min);

    /// <summary>The square root of the mean squared difference over the whole data (not a mean of the batches' roots).</summary>
    public static Metric RootMeanSquaredError { get; } = new("rmse", MonitorMode.Min, StartRatio((outputs, targets) => SumOf("rmse", outputs, targets, d => d * d), sum => Math.Sqrt(sum.Value)));

    /// <summary>
    /// The coefficient of determination 1 − Σ(t − y)² / Σ(t − t̄)², per output column and then averaged over the columns
    /// (scikit-learn's <c>r2_score</c> with its default <c>uniform_average</c>). Outputs [N] or [N, K], targets alike.
    /// </summary>
    public static Metric RSquared { get; } = Fold<RSquaredSums?>("r2", MonitorMode.Max, null, (sums, outputs, targets) =>
    {
        var (predicted, truth) = Paired("r2", outputs, targets);
        var columns = outputs.Rank < 2 ? 1 : outputs.Shape.Last;
        var next = sums?.Copy() ?? new RSquaredSums(columns);
        if (next.Columns != columns)
            throw new ArgumentException($"Metric 'r2' was folding {next.Columns} output columns but a batch has {columns} ({outputs.Shape}).");
        for (var i = 0; i < predicted.Length; i++)
            next.Add(i % columns, predicted[i], truth[i]);
        return next;
    }, sums => sums?.Value ?? double.NaN);

    /// <summary>
    /// F1 of binary predictions from logits (above 0 predicts 1; a target above 0.5 is a 1): 2·TP / (2·TP + FP + FN),
    /// over every element (micro-averaged for multi-label outputs).
    /// </summary>
    public static Metric F1 { get; } = new("f1", (outputs, targets) =>
    {
        var (logits, truth) = Paired("f1", outputs, targets);
        var (truePositives, wrong) = (0, 0);
        for (var i = 0; i < logits.Length; i++)
        {
            var (predicted, actual) = (logits[i] > 0, truth[i] > 0.5);
            truePositives += predicted && actual ? 1 : 0;
            wrong += predicted != actual ? 1 : 0;
        }
        return new MetricSum(2.0 * truePositives, (2.0 * truePositives) + wrong);
    }, MonitorMode.Max);

    /// <summary>
    /// The area under the ROC curve of scores (logits or probabilities) against binary targets: the chance that a random
    /// positive scores above a random negative, ties counting half. Exact: the fold keeps every score. NaN while the
    /// data has no positive or no negative.
    /// </summary>
    public static Metric RocAuc { get; } = Fold<ScoredBatch?>("roc_auc", MonitorMode.Max, null, (folded, outputs, targets) =>
    {
        var (scores, truth) = Paired("roc_auc", outputs, targets);
        return new ScoredBatch(folded, scores, truth);
    }, ScoredBatch.Auc);

    /// <summary>The mean of a loss over examples: each batch weighs its mean loss by its size.</summary>
    /// <param name="loss">The loss, reducing by the mean.</param>
    /// <param name="name">The name in reports.</param>
    public static Metric Loss(Func<Tensor, Tensor, LossValue> loss, string name = "loss")
    {
        ArgumentNullException.ThrowIfNull(loss);
        return new(name, (outputs, targets) => new MetricSum(loss(outputs, targets).Value * outputs.Shape[0], outputs.Shape[0]), MonitorMode.Min);
    }

    /// <summary>
    /// <paramref name="mode"/> if it is resolved, else the direction of the library's metric named <paramref name="name"/>;
    /// a name the library does not know needs a mode.
    /// </summary>
    internal static MonitorMode Resolve(MonitorMode mode, string name, string policy) => mode != MonitorMode.Auto ? mode : name switch
    {
        "loss" or "mae" or "mse" or "rmse" => MonitorMode.Min,
        "accuracy" or "binary_accuracy" or "f1" or "roc_auc" or "r2" => MonitorMode.Max,
        _ => throw new ArgumentException($"{policy} cannot tell which way '{name}' improves: it is not one of the library's metrics; give Mode: MonitorMode.Min or MonitorMode.Max, or pass the metric's Mode."),
    };

    private static Func<Metric, MetricFold> StartRatio(Func<Tensor, Tensor, MetricSum> measure, Func<MetricSum, double> value)
    {
        ArgumentNullException.ThrowIfNull(measure);
        return metric => new MetricFold<MetricSum>(metric, default, (sum, outputs, targets) => sum + measure(outputs, targets), value);
    }

    /// <summary>Outputs and targets as float64, one target per output element, or an error naming the metric.</summary>
    private static (double[] Outputs, double[] Targets) Paired(string name, Tensor outputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (outputs.Count != targets.Count || outputs.Shape[0] != targets.Shape[0])
            throw new ArgumentException($"Metric '{name}' takes one target per output, targets shaped as the outputs {outputs.Shape}, but got {targets.DType.Name()} {targets.Shape}.");
        return (outputs.ToFloat64Array(), targets.ToFloat64Array());
    }

    private static MetricSum SumOf(string name, Tensor outputs, Tensor targets, Func<double, double> term)
    {
        var (predicted, truth) = Paired(name, outputs, targets);
        var total = 0.0;
        for (var i = 0; i < predicted.Length; i++)
            total += term(predicted[i] - truth[i]);
        return new MetricSum(total, predicted.Length);
    }

    /// <summary>R²'s sums per output column: count, Σt, Σt², Σ(t − y)².</summary>
    private sealed class RSquaredSums(int columns)
    {
        private readonly double[] _sums = new double[columns * 4];

        public int Columns => columns;

        public double Value => Enumerable.Range(0, columns).Average(c =>
        {
            var (n, sum, squares, residual) = (_sums[4 * c], _sums[(4 * c) + 1], _sums[(4 * c) + 2], _sums[(4 * c) + 3]);
            return 1 - (residual / (squares - (sum * sum / n)));
        });

        public RSquaredSums Copy()
        {
            var copy = new RSquaredSums(columns);
            _sums.CopyTo(copy._sums, 0);
            return copy;
        }

        public void Add(int column, double predicted, double truth)
        {
            _sums[4 * column]++;
            _sums[(4 * column) + 1] += truth;
            _sums[(4 * column) + 2] += truth * truth;
            _sums[(4 * column) + 3] += (truth - predicted) * (truth - predicted);
        }
    }

    /// <summary>The scores and labels folded so far, a batch at a time (each batch points at those before it).</summary>
    private sealed record ScoredBatch(ScoredBatch? Before, double[] Scores, double[] Targets)
    {
        public static double Auc(ScoredBatch? last)
        {
            var batches = new List<ScoredBatch>();
            for (var b = last; b is not null; b = b.Before)
                batches.Add(b);
            var scored = batches.SelectMany(b => b.Scores.Select((s, i) => (Score: s, Positive: b.Targets[i] > 0.5))).OrderBy(e => e.Score).ToArray();
            var positives = scored.Count(e => e.Positive);
            var negatives = scored.Length - positives;
            if (positives == 0 || negatives == 0)
                return double.NaN;
            // Mann–Whitney: the positives' ranks (tied scores share their mean rank) give the pairs a positive wins.
            var rankSum = 0.0;
            for (var start = 0; start < scored.Length;)
            {
                var end = start;
                while (end < scored.Length && scored[end].Score == scored[start].Score)
                    end++;
                var meanRank = (start + 1 + end) / 2.0;
                for (var i = start; i < end; i++)
                    rankSum += scored[i].Positive ? meanRank : 0;
                start = end;
            }
            return (rankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
        }
    }
}

/// <summary>A metric's fold so far: add batches, read the value. A value: <see cref="Add"/> returns a new fold.</summary>
public abstract class MetricFold
{
    private protected MetricFold(Metric metric) => Metric = metric;

    /// <summary>The metric being folded.</summary>
    public Metric Metric { get; }

    /// <summary>The metric's value over the batches added (NaN before any, for ratio metrics).</summary>
    public abstract double Value { get; }

    /// <summary>The fold with one more batch.</summary>
    /// <param name="outputs">The model's outputs for the batch.</param>
    /// <param name="targets">The batch's targets.</param>
    public abstract MetricFold Add(Tensor outputs, Tensor targets);
}

/// <summary>A fold whose state is a <typeparamref name="TState"/>.</summary>
internal sealed class MetricFold<TState>(Metric metric, TState state, Func<TState, Tensor, Tensor, TState> add, Func<TState, double> value) : MetricFold(metric)
{
    public override double Value => value(state);

    public override MetricFold Add(Tensor outputs, Tensor targets) => new MetricFold<TState>(Metric, add(state, outputs, targets), add, value);
}
