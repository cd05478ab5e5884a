using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// Three yes/no questions about each digit at once: is it even, is it greater than 4, does it have a closed loop
/// (0, 6, 8, 9); one sigmoid output each, a threshold per label chosen on the training set, F1 per label on the test set.
/// </summary>
public static class MultilabelCommand
{
    public const string Description = "digits, three labels at once (even, > 4, has a loop): sigmoid outputs, per-label thresholds and F1";

    private static readonly string[] Labels = ["even", "greater than 4", "has a loop"];

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("multilabel", line);
        var epochs = line.Int("epochs", 40);
        var (trainX, trainDigits, testX, testDigits) = DataSets.Digits();
        var (trainY, testY) = (Targets(trainDigits), Targets(testDigits));
        var keys = new Key(13).Split(2);
        var model = new Linear(keys[0], 64, 128) >> new ReLU() >> new Linear(keys[1], 128, 3);
        var trainer = new Trainer<Chain>(Optimizers.AdamW(2e-3, weightDecay: 1e-4), (y, t) => Loss.BinaryCrossEntropyWithLogits(y, t), new TrainerOptions { BatchSize = 32, Epochs = epochs });
        var (result, _) = await TrainingProgress.Follow(trainer.Train(model, DataSource.FromTensors(trainX, trainY), new Key(14)), epochs, output);
        var (trainScores, testScores) = (Sigmoid(result.Model.Forward(trainX)), Sigmoid(result.Model.Forward(testX)));
        var (trainTruth, testTruth) = (trainY.ToFloat64Array(), testY.ToFloat64Array());
        var rows = new List<IReadOnlyList<string>>();
        var scores = new List<double>();
        for (var label = 0; label < 3; label++)
        {
            var threshold = Enumerable.Range(1, 19).Select(t => t / 20.0).MaxBy(t => F1(trainScores, trainTruth, label, t));
            var f1 = F1(testScores, testTruth, label, threshold);
            scores.Add(f1);
            rows.Add([Labels[label], threshold.ToString("F2", CultureInfo.InvariantCulture), f1.ToString("F3", CultureInfo.InvariantCulture)]);
        }
        output.Table("Per-label threshold (chosen on training data) and test F1", ["label", "threshold", "F1"], rows);
        output.Result(string.Create(CultureInfo.InvariantCulture, $"multilabel: test F1 {string.Join(", ", Labels.Select((l, i) => $"{l} {scores[i]:F3}"))}"));
        return 0;
    }

    /// <summary>[N, 3] targets: even, greater than 4, has a closed loop.</summary>
    public static Tensor Targets(Tensor digits)
    {
        var d = digits.ToInt64Array();
        var values = d.SelectMany(v => new[] { v % 2 == 0 ? 1f : 0f, v > 4 ? 1f : 0f, v is 0 or 6 or 8 or 9 ? 1f : 0f }).ToArray();
        return Tensor.FromArray(values, d.Length, 3);
    }

    private static double[] Sigmoid(Tensor logits) => [.. logits.ToFloat64Array().Select(z => 1 / (1 + Math.Exp(-z)))];

    private static double F1(double[] scores, double[] truth, int label, double threshold)
    {
        var (tp, fp, fn) = (0, 0, 0);
        for (var i = label; i < scores.Length; i += 3)
        {
            var (predicted, actual) = (scores[i] >= threshold, truth[i] > 0.5);
            tp += predicted && actual ? 1 : 0;
            fp += predicted && !actual ? 1 : 0;
            fn += !predicted && actual ? 1 : 0;
        }
        return tp == 0 ? 0 : 2.0 * tp / ((2 * tp) + fp + fn);
    }
}
