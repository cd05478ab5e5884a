using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Tests.Dataflow;

/// <summary>A small learnable task the trainer tests share: 3 classes by the largest of three fixed projections of 6 features.</summary>
internal static class TrainingData
{
    public const int Features = 6;
    public const int Classes = 3;

    public static (Tensor Features, Tensor Targets) Make(int count, ulong seed = 1)
    {
        var key = new Key(seed);
        var x = Tensor.Normal(key.Fold(0), new Shape(count, Features));
        var projection = Tensor.Normal(new Key(99), new Shape(Features, Classes)).ToFloat32Array();
        var values = x.ToFloat32Array();
        var targets = new long[count];
        for (var i = 0; i < count; i++)
        {
            var best = 0;
            var scores = new float[Classes];
            for (var c = 0; c < Classes; c++)
            {
                for (var f = 0; f < Features; f++)
                    scores[c] += values[(i * Features) + f] * projection[(f * Classes) + c];
                if (scores[c] > scores[best])
                    best = c;
            }
            targets[i] = best;
        }
        return (x, Tensor.FromArray(targets, count));
    }

    public static DataSource Source(int count, ulong seed = 1)
    {
        var (x, t) = Make(count, seed);
        return DataSource.FromTensors(x, t);
    }

    public static Chain Model() =>
        new Linear(new Key(7), Features, 16) >> new ReLU() >> new Dropout(0.1) >> new Linear(new Key(8), 16, Classes);

    /// <summary>A model whose first weight is large enough (24,576 floats) for the trainer to reuse its gradient arrays.</summary>
    public static Chain WideModel() =>
        new Linear(new Key(7), Features, 4096) >> new ReLU() >> new Dropout(0.1) >> new Linear(new Key(8), 4096, Classes);
}
