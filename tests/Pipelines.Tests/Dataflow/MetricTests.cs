using Pipelines.Dataflow;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>
/// The library's metrics against their textbook formulas on small hand-made data, folded over batches of any split
/// (a fold over the whole data equals the fold over its batches), and their errors naming the metric.
/// </summary>
public sealed class MetricTests
{
    private static readonly float[] Logits = [2.0f, -1.0f, 0.5f, -0.2f, 3.0f, -2.5f, 0.1f, -0.7f];
    private static readonly float[] Labels = [1, 0, 0, 1, 1, 0, 1, 0];

    /// <summary>The metric folded over <paramref name="outputs"/> and <paramref name="targets"/> split into batches of <paramref name="batch"/> rows.</summary>
    private static double Folded(Metric metric, Tensor outputs, Tensor targets, int batch)
    {
        var fold = metric.Start();
        for (var start = 0; start < outputs.Shape[0]; start += batch)
        {
            var length = Math.Min(batch, outputs.Shape[0] - start);
            fold = fold.Add(outputs.Narrow(0, start, length), targets.Narrow(0, start, length));
        }
        return fold.Value;
    }

    public static TheoryData<int> Batches => [1, 3, 8];

    [Theory]
    [MemberData(nameof(Batches))]
    public void Binary_metrics_equal_their_formulas_whatever_the_batches(int batch)
    {
        var (outputs, targets) = (Tensor.FromArray(Logits, 8, 1), Tensor.FromArray(Labels, 8, 1));
        // Predictions (logit > 0): 1 0 1 0 1 0 1 0 against 1 0 0 1 1 0 1 0: TP 3, FP 1, FN 1, TN 3.
        Assert.Equal(6.0 / 8, Folded(Metric.BinaryAccuracy, outputs, targets, batch));
        Assert.Equal(2.0 * 3 / ((2 * 3) + 1 + 1), Folded(Metric.F1, outputs, targets, batch), 12);
        // Positives score 2, -0.2, 3, 0.1; negatives -1, 0.5, -2.5, -0.7: a positive beats a negative in 14 of the 16 pairs.
        Assert.Equal(14.0 / 16, Folded(Metric.RocAuc, outputs, targets, batch), 12);
    }

    [Fact]
    public void Roc_auc_counts_ties_as_half_and_is_nan_without_both_classes()
    {
        var ties = Metric.RocAuc.Measure(Tensor.FromArray(new float[] { 1, 1, 0, 0 }, 4), Tensor.FromArray(new float[] { 1, 0, 1, 0 }, 4));
        Assert.Equal(0.5, ties, 12);
        Assert.True(double.IsNaN(Metric.RocAuc.Measure(Tensor.FromArray(new float[] { 1, 2 }, 2), Tensor.FromArray(new float[] { 1, 1 }, 2))));
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void Regression_metrics_equal_their_formulas_whatever_the_batches(int batch)
    {
        double[] predicted = [2.5, 0.0, 2.0, 8.0, 4.5, -1.0, 3.0, 6.0];
        double[] actual = [3.0, -0.5, 2.0, 7.0, 4.0, -2.0, 3.5, 5.0];
        var (outputs, targets) = (Tensor.FromArray(predicted, 8, 1), Tensor.FromArray(actual, 8, 1));
        var errors = predicted.Zip(actual, (p, a) => p - a).ToArray();
        Assert.Equal(errors.Average(Math.Abs), Folded(Metric.MeanAbsoluteError, outputs, targets, batch), 12);
        Assert.Equal(errors.Average(e => e * e), Folded(Metric.MeanSquaredError, outputs, targets, batch), 12);
        Assert.Equal(Math.Sqrt(errors.Average(e => e * e)), Folded(Metric.RootMeanSquaredError, outputs, targets, batch), 12);
        var mean = actual.Average();
        Assert.Equal(1 - (errors.Sum(e => e * e) / actual.Sum(a => (a - mean) * (a - mean))), Folded(Metric.RSquared, outputs, targets, batch), 10);
    }

    [Fact]
    public void R_squared_of_several_outputs_averages_the_columns()
    {
        // Column 0 predicted exactly (R² 1); column 1 predicted by its mean (R² 0).
        var outputs = Tensor.FromArray(new double[] { 1, 2, 2, 2, 3, 2 }, 3, 2);
        var targets = Tensor.FromArray(new double[] { 1, 1, 2, 2, 3, 3 }, 3, 2);
        Assert.Equal(0.5, Metric.RSquared.Measure(outputs, targets), 12);
    }

    [Fact]
    public void Accuracy_on_a_single_logit_names_the_metric_and_the_binary_one()
    {
        var error = Assert.Throws<ArgumentException>(() => Metric.Accuracy.Measure(Tensor.FromArray(Logits, 8, 1), Tensor.FromArray(Labels, 8, 1)));
        Assert.Contains("Metric 'accuracy'", error.Message, StringComparison.Ordinal);
        Assert.Contains("use Metric.BinaryAccuracy", error.Message, StringComparison.Ordinal);
        var floats = Assert.Throws<ArgumentException>(() => Metric.Accuracy.Measure(Tensor.Zeros(new Shape(4, 3)), Tensor.Zeros(new Shape(4))));
        Assert.Contains("takes int64 class indices [4] as targets but got float32 [4]", floats.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_shaped_unlike_the_outputs_name_the_metric()
    {
        var error = Assert.Throws<ArgumentException>(() => Metric.MeanAbsoluteError.Measure(Tensor.Zeros(new Shape(4, 1)), Tensor.Zeros(new Shape(3, 1))));
        Assert.Contains("Metric 'mae' takes one target per output", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fold_is_a_value_adding_returns_a_new_fold()
    {
        var empty = Metric.MeanAbsoluteError.Start();
        var one = empty.Add(Tensor.FromArray(new float[] { 1 }, 1, 1), Tensor.FromArray(new float[] { 0 }, 1, 1));
        Assert.True(double.IsNaN(empty.Value));
        Assert.Equal(1.0, one.Value);
        Assert.Equal(MonitorMode.Min, Metric.MeanAbsoluteError.Mode);
        Assert.Equal(MonitorMode.Max, Metric.RocAuc.Mode);
    }

    [Fact]
    public async Task Evaluation_needs_no_trainer_and_does_not_depend_on_the_batch_size()
    {
        var (x, t) = TrainingData.Make(50, seed: 4);
        var model = TrainingData.Model();
        var data = DataSource.FromTensors(x, t);
        var whole = await Evaluation.EvaluateAsync(model, data, [Metric.Accuracy, Metric.Loss((y, target) => Loss.CrossEntropy(y, target))], batchSize: 50);
        var batched = await Evaluation.EvaluateAsync(model, data, [Metric.Accuracy, Metric.Loss((y, target) => Loss.CrossEntropy(y, target))], batchSize: 7);
        Assert.Equal(whole["accuracy"], batched["accuracy"]);
        Assert.Equal(whole["loss"], batched["loss"], 6);
        var outputs = model.Forward(x);
        Assert.Equal(Metric.Accuracy.Measure(outputs, t), whole["accuracy"]);
        var twice = await Assert.ThrowsAsync<ArgumentException>(() => Evaluation.EvaluateAsync(model, data, [Metric.Accuracy, Metric.Accuracy]));
        Assert.Contains("'accuracy' is given 2 times", twice.Message, StringComparison.Ordinal);
    }
}
