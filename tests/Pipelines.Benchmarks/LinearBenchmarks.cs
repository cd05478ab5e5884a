using BenchmarkDotNet.Attributes;
using Pipelines.Kernels.Threading;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks;

/// <summary>BenchmarkDotNet view of the same cases, with the memory diagnoser: steady state allocates only the outputs.</summary>
[MemoryDiagnoser]
public class LinearBenchmarks
{
    private Linear _layer = null!;
    private Tensor _x = null!;
    private Tensor _dy = null!;

    [ParamsSource(nameof(Cases))]
    public LinearCase Case { get; set; } = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    public static IEnumerable<LinearCase> Cases => LinearCase.All;

    [GlobalSetup]
    public void Setup()
    {
        ThreadBudget.MaxThreads = Threads;
        var key = new Key(0);
        _layer = new Linear(key.Fold(1), Case.K, Case.N);
        _x = Tensor.Normal(key.Fold(2), new Shape(Case.InputShape));
        _dy = Tensor.Normal(key.Fold(3), new Shape([.. Case.InputShape[..^1], Case.N]));
    }

    [Benchmark]
    public Tensor Forward() => _layer.Forward(_x);

    [Benchmark]
    public (Tensor, Linear) ForwardBackward()
    {
        _layer.Forward(_x);
        return _layer.Backward(_x, _dy);
    }
}
