using System.Diagnostics;
using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// Fashion-MNIST (Zalando, MIT licence) from its standard IDX files: 784-512-256-10 with ReLU and dropout 0.2, AdamW with a
/// one-cycle schedule, label smoothing 0.1, 20 epochs of batch 128 (<c>--lr</c> and <c>--wd</c> change the schedule's peak
/// and the decay). The dataset's own benchmark lists an MLP 256-128-100 at 0.8833.
/// </summary>
public static class FashionCommand
{
    public const string Description = "Fashion-MNIST from the standard IDX files (--data DIR): an MLP with dropout, against PyTorch's time for the same recipe";

    /// <summary>
    /// PyTorch 1.13 on this machine for the same recipe, 2 threads: measured by
    /// <c>tests/Pipelines.Benchmarks/Reference/torch_fashion.py</c> (see its header for the command).
    /// </summary>
    private const double PyTorchSeconds = 40.2;

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("fashion", line);
        var directory = line.String("data", "/usr/share/datasets/fashion-mnist");
        var epochs = line.Int("epochs", 20);
        var files = new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" }.Select(f => Path.Combine(directory, f)).ToArray();
        if (files.FirstOrDefault(f => !File.Exists(f)) is { } missing)
        {
            output.Line($"Fashion-MNIST is not at {directory} ({Path.GetFileName(missing)} is missing). Install Debian's package (apt-get install dataset-fashion-mnist) or download the four IDX files from https://github.com/zalandoresearch/fashion-mnist and pass --data DIR.");
            return 2;
        }
        var (trainX, trainY) = (Idx.Read(files[0], DType.Float32).Reshape(-1, 784) / 255, Idx.Read(files[1]));
        var (testX, testY) = (Idx.Read(files[2], DType.Float32).Reshape(-1, 784) / 255, Idx.Read(files[3]));
        var limit = line.Int("train-rows", trainX.Shape[0]);
        (trainX, trainY) = (trainX[..limit], trainY[..limit]);
        var k = new Key(81).Split(3);
        var model = new Linear(k[0], 784, 512) >> new ReLU() >> new Dropout(0.2) >> new Linear(k[1], 512, 256) >> new ReLU() >> new Dropout(0.2) >> new Linear(k[2], 256, 10);
        var steps = epochs * ((trainX.Shape[0] + 127) / 128);
        var trainer = new Trainer<Chain>(
            Optimizers.AdamW(Schedules.OneCycle(line.Double("lr", 2e-3), steps), weightDecay: line.Double("wd", 1e-4)),
            (y, t) => Loss.CrossEntropy(y, t, labelSmoothing: 0.1),
            new TrainerOptions { BatchSize = 128, Epochs = epochs, Validation = DataSource.FromTensors(testX, testY), ValidateEverySteps = steps, Metrics = [Metric.Accuracy] });
        var clock = Stopwatch.StartNew();
        var (result, reports) = await TrainingProgress.Follow(trainer.Train(model, DataSource.FromTensors(trainX, trainY), new Key(82)), epochs, output);
        var seconds = clock.Elapsed.TotalSeconds;
        var accuracy = DigitsCommand.Accuracy(result.Model, testX, testY);
        Plots.Curves(reports, output.File("fashion-curves.png"), "Fashion-MNIST: training loss per epoch");
        output.Line(string.Create(CultureInfo.InvariantCulture, $"PyTorch 1.13, the same recipe on this machine (2 threads, measured with tests/Pipelines.Benchmarks/Reference/torch_fashion.py): {PyTorchSeconds:F1} s"));
        output.Result(string.Create(CultureInfo.InvariantCulture, $"fashion: test accuracy {accuracy:P1} after {epochs} epochs in {seconds:F1} s ({seconds / PyTorchSeconds:P0} of PyTorch's {PyTorchSeconds:F1} s)"));
        return 0;
    }
}
