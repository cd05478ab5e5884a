using BenchmarkDotNet.Attributes;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Inference;

/// <summary>
/// Evaluation-mode forward passes of 784-256-BN-ReLU-Dropout-128-BN-ReLU-Dropout-10 before and after
/// <see cref="Rewrites.ForInference"/> (two BatchNorm folds, two dropped Dropouts), at batch 1 and 64.
/// </summary>
[MemoryDiagnoser]
[InProcess]
public class RewriteBenchmarks
{
    private Layer _original = null!;
    private Layer _rewritten = null!;
    private Tensor _x = null!;

    [Params(1, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var k = new Key(3).Split(8);
        static BatchNorm1d Norm(Key key, int features)
        {
            var parts = key.Split(4);
            return new BatchNorm1d(features, Tensor.Uniform(parts[0], new Shape(features), 0.5, 2), Tensor.Normal(parts[1], new Shape(features)), Tensor.Normal(parts[2], new Shape(features)), Tensor.Uniform(parts[3], new Shape(features), 0.5, 2), Tensor.Scalar(100, DType.Int64));
        }
        _original = new Linear(k[0], 784, 256) >> Norm(k[1], 256) >> new ReLU() >> new Dropout(0.3)
                  >> new Linear(k[2], 256, 128) >> Norm(k[3], 128) >> new ReLU() >> new Dropout(0.3)
                  >> new Linear(k[4], 128, 10);
        _rewritten = Rewrites.ForInference(_original).Model;
        _x = Tensor.Normal(k[5], new Shape(Batch, 784));
    }

    [Benchmark(Baseline = true)]
    public Tensor Original() => _original.Forward(_x);

    [Benchmark]
    public Tensor Rewritten() => _rewritten.Forward(_x);
}
