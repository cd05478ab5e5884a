using BenchmarkDotNet.Attributes;
using Pipelines.Kernels.Threading;

namespace Pipelines.Benchmarks.Training;

/// <summary>
/// One training step (gradients + optimizer step) under BenchmarkDotNet with the memory diagnoser: its Allocated column
/// is the bytes a step allocates and its Gen2 column the gen-2 collections per 1,000 steps. It runs in this process, so
/// with the GC settings an app referencing the package gets (BenchmarkDotNet's generated child project would not import
/// the package's settings).
/// </summary>
[MemoryDiagnoser]
[InProcess]
public class TrainingStepBenchmarks
{
    private TrainingSetup _setup = null!;

    [ParamsSource(nameof(Cases))]
    public TrainingCase Case { get; set; } = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    public static IEnumerable<TrainingCase> Cases => TrainingCase.All;

    [GlobalSetup]
    public void Setup()
    {
        ThreadBudget.MaxThreads = Threads;
        _setup = new TrainingSetup(Case);
    }

    [Benchmark]
    public double Step() => _setup.Step();
}
