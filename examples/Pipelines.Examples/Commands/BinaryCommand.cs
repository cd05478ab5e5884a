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
            new TrainerOptions { BatchSize = 32, Epochs = epochs, Validation = DataSource.FromTensors(testX, testY), Metrics = [Metric.BinaryAccuracy] });
        var (result, reports) = await TrainingProgress.Follow(trainer.Train(model, DataSource.FromTensors(trainX, trainY), new Key(8)), epochs, output);
        var held = await Evaluation.EvaluateAsync(result.Model, DataSource.FromTensors(testX, testY), [Metric.BinaryAccuracy, Metric.RocAuc]);
        var (accuracy, auc, count) = (held["binary_accuracy"], held["roc_auc"], testY.Shape[0]);
        Plots.Curves(reports, output.File("binary-curves.png"), "Breast cancer: loss per epoch");
        output.Result(string.Create(CultureInfo.InvariantCulture, $"binary: test accuracy {accuracy:P1}, ROC-AUC {auc:F3} on {count} held-out tumours"));
        return 0;
    }

}
