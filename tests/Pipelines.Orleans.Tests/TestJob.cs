using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Orleans.Tests;

/// <summary>
/// A job with everything that could make a distributed run differ from one process: dropout (keys per micro-batch),
/// BatchNorm (buffers carried from the first micro-batch), and a random per-example augmentation (keys per example).
/// </summary>
internal static class TestJob
{
    public const string Name = "blobs";
    public const int Features = 6;
    public const int Classes = 3;

    public static Chain Model(ulong seed = 7) =>
        new Linear(new Key(seed), Features, 16) >> new BatchNorm1d(16) >> new ReLU() >> new Dropout(0.2) >> new Linear(new Key(seed + 1), 16, Classes);

    public static DataSource Data(int count = 90)
    {
        var key = new Key(1);
        var x = Tensor.Normal(key.Fold(0), new Shape(count, Features));
        var targets = x.Narrow(1, 0, Classes).ArgMax(1);
        return DataSource.FromTensors(x, targets);
    }

    public static Example Augment(Example example, Key key) =>
        example with { Features = example.Features + (Tensor.Normal(key, example.Features.Shape) * 0.1f) };

    public static LossValue Loss(Tensor outputs, Tensor targets) => Losses.Loss.CrossEntropy(outputs, targets);

    /// <summary>A fresh job (each silo makes its own, as separate processes would).</summary>
    public static ClusterJob<Chain> Job(int count = 90) => new(Name, () => Model(seed: 100), () => Data(count), Loss, Augment);

    public static GradientTransformation Optimizer() => Optimizers.AdamW(0.01, weightDecay: 0.01);

    public static TrainerOptions Options => new() { BatchSize = 20, Epochs = 2, MicroBatches = 5, Workers = 2 };
}
