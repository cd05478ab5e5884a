using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>Breast-cancer diagnosis: one logit out, binary cross-entropy with logits, accuracy and ROC-AUC on held-out rows.</summary>
public static class BinaryCommand
{
    public const string Description = "breast-cancer diagnosis: sigmoid output, BCE with logits, accuracy and ROC-AUC";

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("binary", line);
        var epochs = line.Int("epochs", 60);
        var (trainX, trainY, testX, testY) = DataSets.BreastCancer();
        var keys = new Key(7).Split(2);
        var model = new Linear(keys[0], 30, 16) >> new ReLU() >> new Dropout(0.2) >> new Linear(keys[1], 16, 1);
        var trainer = new Trainer<Chain>(Optimizers.AdamW(1e-3, weightDecay: 1e-4), (y, t) => Loss.BinaryCrossEntropyWithLogits(y, t),
            new TrainerOptions { BatchSize = 32, Epochs = epochs, Validation = DataSource.FromTensors(testX, testY) });
        var (result, reports) = await TrainingProgress.Follow(trainer.Train(model, DataSource.FromTensors(trainX, trainY), new Key(8)), epochs, output);
        var scores = result.Model.Forward(testX).ToFloat64Array();
        var labels = testY.ToFloat64Array();
        var accuracy = scores.Where((s, i) => (s > 0) == (labels[i] > 0.5)).Count() / (double)labels.Length;
        var auc = RocAuc(scores, labels);
        Plots.Curves(reports, output.File("binary-curves.png"), "Breast cancer: loss per epoch");
        output.Result(string.Create(CultureInfo.InvariantCulture, $"binary: test accuracy {accuracy:P1}, ROC-AUC {auc:F3} on {labels.Length} held-out tumours"));
        return 0;
    }

    /// <summary>The area under the ROC curve: the chance a random positive scores above a random negative (ties count half).</summary>
    public static double RocAuc(double[] scores, double[] labels)
    {
        var positives = scores.Where((_, i) => labels[i] > 0.5).ToArray();
        var negatives = scores.Where((_, i) => labels[i] <= 0.5).ToArray();
        var wins = positives.Sum(p => negatives.Sum(n => p > n ? 1.0 : p == n ? 0.5 : 0));
        return wins / (positives.Length * (double)negatives.Length);
    }
}
