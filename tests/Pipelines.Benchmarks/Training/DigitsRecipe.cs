using System.Diagnostics;
using Pipelines.Autodiff;
using Pipelines.Examples;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Training;

/// <summary>
/// The main job's recipe end to end, timed as the reference times PyTorch's: 64-512-256-10, ReLU, dropout 0.3,
/// AdamW(1e-3, weight decay 1e-4), batch 32, 100 epochs over the first 1347 digits, a fresh permutation per epoch.
/// </summary>
internal static class DigitsRecipe
{
    public const int Epochs = 100;
    public const int BatchSize = 32;
    public const int TrainRows = 1347;

    /// <summary>The path of the digits file the reference reads too.</summary>
    public static string DataPath => Path.Combine(AppContext.BaseDirectory, "Data", "digits.csv.gz");

    public static (TimeSpan Elapsed, double Accuracy) Run()
    {
        var (images, labels) = Digits.Load();
        var (trainX, testX) = (images[..TrainRows], images[TrainRows..]);
        var keys = new Key(2026).Split(4);
        Layer model = new Linear(keys[0], Digits.Pixels, 512) >> new ReLU() >> new Dropout(0.3)
                    >> new Linear(keys[1], 512, 256) >> new ReLU() >> new Dropout(0.3)
                    >> new Linear(keys[2], 256, Digits.Classes);
        var optimizer = Optimizers.AdamW(1e-3, weightDecay: 1e-4);
        var state = optimizer.Init(model);
        var clock = Stopwatch.StartNew();
        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            var epochKey = keys[3].Fold((ulong)epoch);
            var draws = Tensor.Uniform(epochKey, new Shape(TrainRows), dtype: DType.Float64).ToFloat64Array();
            int[] order = [.. Enumerable.Range(0, TrainRows).OrderBy(i => draws[i]).ThenBy(i => i)];
            for (var start = 0; start < TrainRows; start += BatchSize)
            {
                var rows = order.AsSpan(start, Math.Min(BatchSize, TrainRows - start));
                var targets = new long[rows.Length];
                for (var i = 0; i < rows.Length; i++)
                    targets[i] = labels[rows[i]];
                var step = Gradients.ValueAndGrad(model, trainX.IndexSelect(rows), y => Loss.CrossEntropy(y, targets), ForwardContext.Training(epochKey.Fold((ulong)start)));
                (model, state) = optimizer.Step(step, state);
            }
        }
        var elapsed = clock.Elapsed;
        var logits = model.Forward(testX);
        var correct = 0;
        for (var i = 0; i < logits.Shape[0]; i++)
        {
            var row = logits[i].AsSpan<float>();
            correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row) == labels[TrainRows + i] ? 1 : 0;
        }
        return (elapsed, (double)correct / logits.Shape[0]);
    }
}
