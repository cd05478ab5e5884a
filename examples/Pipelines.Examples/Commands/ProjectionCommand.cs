using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Examples.Layers;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// Linear layers as projections: reducing 64 pixels to 2 numbers and expanding them back (the shapes at each step), and a
/// cross-modal projection — images and class labels mapped to one 16-dimensional space where the cosine similarity of
/// an image and its label is high (a contrastive objective over the 10 classes, as CLIP's between images and text).
/// </summary>
public static class ProjectionCommand
{
    public const string Description = "dimension reduction/expansion, and a cross-modal projection of images and labels compared by cosine similarity";

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("projection", line);
        var epochs = line.Int("epochs", 40);
        var (trainX, trainY, testX, testY) = DataSets.Digits();
        var k = new Key(71).Split(5);
        var reduce = new Linear(k[0], 64, 2);
        var expand = new Linear(k[1], 2, 64);
        var two = reduce.Forward(testX[..5]);
        output.Line($"Reduction: {testX[..5].Shape} → Linear(64, 2) → {two.Shape} → Linear(2, 64) → {expand.Forward(two).Shape}");

        var model = new CosineLogits(
            new Linear(k[2], 64, 64) >> new ReLU() >> new Linear(k[3], 64, 16),
            new Linear(k[4], 10, 16),
            Classes: 10,
            Scale: 10);
        var trainer = new Trainer<CosineLogits>(Optimizers.AdamW(3e-3), (y, t) => Loss.CrossEntropy(y, t), new TrainerOptions { BatchSize = 32, Epochs = epochs, Validation = DataSource.FromTensors(testX, testY), Metrics = [Metric.Accuracy] });
        var (result, _) = await TrainingProgress.Follow(trainer.Train(model, DataSource.FromTensors(trainX, trainY), new Key(72)), epochs, output);
        var (images, classes) = (result.Model.EmbedImages(testX), result.Model.EmbedClasses());
        var similarities = Pipelines.Kernels.Products.MatMul(images, classes.Transpose()).ToFloat64Array();
        var labels = testY.ToInt64Array();
        var (matched, others, correct) = (0.0, 0.0, 0);
        for (var i = 0; i < labels.Length; i++)
        {
            var row = similarities.AsSpan(i * 10, 10);
            matched += row[(int)labels[i]];
            others += (row.ToArray().Sum() - row[(int)labels[i]]) / 9;
            correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row) == labels[i] ? 1 : 0;
        }
        output.Result(string.Create(CultureInfo.InvariantCulture, $"projection: mean cosine similarity of a test image with its own label {matched / labels.Length:F3}, with the other labels {others / labels.Length:F3}; nearest label correct for {correct / (double)labels.Length:P1}"));
        return 0;
    }
}
