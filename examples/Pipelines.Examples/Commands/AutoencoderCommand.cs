using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>An autoencoder on the digits: 64-32-8-32-64 through a bottleneck of 8, trained to reproduce its input; reconstructions as a PNG.</summary>
public static class AutoencoderCommand
{
    public const string Description = "digits through an 8-number bottleneck: reconstruction error per epoch, originals and reconstructions as a PNG";

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("autoencoder", line);
        var epochs = line.Int("epochs", 60);
        var (trainX, _, testX, _) = DataSets.Digits();
        var k = new Key(21).Split(4);
        var model = new Linear(k[0], 64, 32) >> new ReLU() >> new Linear(k[1], 32, 8) >> new ReLU()
                  >> new Linear(k[2], 8, 32) >> new ReLU() >> new Linear(k[3], 32, 64) >> new Sigmoid();
        var trainer = new Trainer<Chain>(Optimizers.Adam(2e-3), (y, t) => Loss.MeanSquaredError(y, t), new TrainerOptions { BatchSize = 32, Epochs = epochs, Validation = DataSource.FromTensors(testX, testX) });
        var (result, reports) = await TrainingProgress.Follow(trainer.Train(model, DataSource.FromTensors(trainX, trainX), new Key(22)), epochs, output);
        var errors = reports.OfType<EvaluationReport>().Select(e => e.Metrics["loss"]).ToList();
        var originals = testX[..16];
        var grid = Plots.ImageGrid(Tensor.Concat([originals, result.Model.Forward(originals)], 0), 8, 16, output.File("autoencoder-reconstructions.png"), "Test digits (top) and their reconstructions from 8 numbers (bottom)");
        Plots.Curves(reports, output.File("autoencoder-curves.png"), "Autoencoder: reconstruction error (MSE) per epoch");
        output.Line($"Reconstructions: {grid}");
        output.Result(string.Create(CultureInfo.InvariantCulture, $"autoencoder: test reconstruction MSE {errors[0]:F4} after epoch 1, {errors[^1]:F4} after epoch {errors.Count}"));
        return 0;
    }
}
