using System.Diagnostics;
using Pipelines.Autodiff;
using Pipelines.Dataflow;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Training;

/// <summary>
/// The main job's recipe end to end, timed as the reference times PyTorch's: 64-512-256-10, ReLU, dropout 0.3,
/// AdamW(1e-3, weight decay 1e-4), batch 32, 100 epochs over the first 1347 digits, a fresh permutation per epoch;
/// as a plain loop (the README's) and through the dataflow trainer.
/// </summary>
internal static class DigitsRecipe
{
    public const int Epochs = 100;
    public const int BatchSize = 32;
    public const int TrainRows = 1347;

    /// <summary>The path of the digits file the reference reads too.</summary>
    public static string DataPath => Path.Combine(AppContext.BaseDirectory, "Data", "digits.csv.gz");

    /// <summary>The recipe as a plain loop: ValueAndGrad then optimizer.Step per batch.</summary>
    public static (TimeSpan Elapsed, double Accuracy) Run()
    {
        var (trainX, trainY, testX, testY) = Load();
        var key = new Key(2026);
        Layer model = Model(key);
        var optimizer = Optimizer();
        var state = optimizer.Init(model);
        var clock = Stopwatch.StartNew();
        long step = 0;
        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            var order = Shuffling.Permutation(RunKeys.Shuffle(key), epoch, TrainRows);
            for (var start = 0; start < TrainRows; start += BatchSize)
            {
                var rows = order.AsSpan(start, Math.Min(BatchSize, TrainRows - start));
                var targets = trainY.IndexSelect(rows);
                var gradient = Gradients.ValueAndGrad(model, trainX.IndexSelect(rows), y => Loss.CrossEntropy(y, targets), ForwardContext.Training(RunKeys.Step(key, step++)));
                (model, state) = optimizer.Step(gradient, state);
            }
        }
        return (clock.Elapsed, Accuracy(model, testX, testY));
    }

    /// <summary>The recipe through the dataflow trainer, with <paramref name="workers"/> gradient workers and <paramref name="microBatches"/> micro-batches.</summary>
    public static (TimeSpan Elapsed, double Accuracy) RunGraph(int workers, int microBatches)
    {
        var (trainX, trainY, testX, testY) = Load();
        var key = new Key(2026);
        var trainer = new Trainer<Layer>(Optimizer(), (y, t) => Loss.CrossEntropy(y, t), new TrainerOptions { BatchSize = BatchSize, Epochs = Epochs, Workers = workers, MicroBatches = microBatches });
        var clock = Stopwatch.StartNew();
        var result = trainer.Train(Model(key), DataSource.FromTensors(trainX, trainY), key).Completion.GetAwaiter().GetResult();
        return (clock.Elapsed, Accuracy(result.Model, testX, testY));
    }

    private static (Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY) Load()
    {
        var digits = Csv.Read(DataPath);
        var pixels = digits.Features / 16;
        return (pixels[..TrainRows], digits.Targets![..TrainRows], pixels[TrainRows..], digits.Targets[TrainRows..]);
    }

    private static Layer Model(Key key)
    {
        var keys = key.Split(3);
        return new Linear(keys[0], 64, 512) >> new ReLU() >> new Dropout(0.3)
             >> new Linear(keys[1], 512, 256) >> new ReLU() >> new Dropout(0.3)
             >> new Linear(keys[2], 256, 10);
    }

    private static GradientTransformation Optimizer() => Optimizers.AdamW(1e-3, weightDecay: 1e-4);

    private static double Accuracy(Layer model, Tensor x, Tensor labels)
    {
        var logits = model.Forward(x);
        var targets = labels.ToInt64Array();
        var correct = 0;
        for (var i = 0; i < targets.Length; i++)
            correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits[i].AsSpan<float>()) == targets[i] ? 1 : 0;
        return (double)correct / targets.Length;
    }
}
