using BenchmarkDotNet.Attributes;
using Pipelines.Kernels;
using Pipelines.Kernels.Threading;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Training;

/// <summary>
/// The parts of the fashion example's step (batch 64, 784-512-256-10 with batch normalisation and dropout) that
/// docs/performance.md's fashion section times one by one: the first dropout mask (drawn for 128 rows, as it was
/// measured), batch normalisation over 64×512 forward and backward, the first layer's weight gradient dYᵀ·X (512×784 from 64 rows), and
/// AdamW's step for that layer's 401,408 weights written over its moments and parameters, as the trainer runs it from its
/// second step (at step 1000, past the step where 1 − β₁ᵗ rounds to 1 and that division is left out).
/// </summary>
[MemoryDiagnoser]
[InProcess]
public class StepPartsBenchmarks
{
    private static readonly ForwardContext Training = ForwardContext.Training(new Key(3));
    private readonly BatchNorm1d _norm = new(512);
    private Tensor _x = null!;
    private Tensor _dy = null!;
    private Tensor _input = null!;
    private Tensor _outputGradient = null!;
    private Traced _traced = null!;
    private (Tensor G, Tensor M, Tensor V, Tensor P) _adam;
    private static readonly AdamCoefficients Late = new(0.9, 0.999, 1e-8, 1 - Math.Pow(0.9, 1000), Math.Sqrt(1 - Math.Pow(0.999, 1000)), false, 0, 2e-7, 1e-3);

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ThreadBudget.MaxThreads = Threads;
        var k = new Key(0).Split(4);
        (_x, _dy) = (Tensor.Normal(k[0], new Shape(64, 512)), Tensor.Normal(k[1], new Shape(64, 512)));
        (_input, _outputGradient) = (Tensor.Uniform(k[2], new Shape(64, 784)), Tensor.Normal(k[3], new Shape(64, 512)));
        _traced = _norm.Forward(_x, Training);
        var w = new Key(1).Split(4);
        var weights = new Shape(512, 784);
        _adam = (Tensor.Normal(w[0], weights), Tensor.Normal(w[1], weights) * 0.01, Tensor.Uniform(w[2], weights, 0, 1e-4), Tensor.Normal(w[3], weights));
    }

    [Benchmark]
    public Tensor DropoutMask128x512() => DropoutMask.Create(new Key(5), new Shape(128, 512), 0.2, DType.Float32);

    [Benchmark]
    public Traced BatchNormForward64x512() => _norm.Forward(_x, Training);

    [Benchmark]
    public Tensor? BatchNormBackward64x512() => _norm.Backward(_traced.Trace, _dy).Dx;

    [Benchmark]
    public Tensor WeightGradient512x784From64Rows() => Linear.WeightGradient(_outputGradient, _input);

    [Benchmark]
    public Tensor AdamWFirstLayerWrittenOver()
    {
        var (g, m, v, p) = _adam;
        return AdamKernel.StepOver(g, m, v, null, p, Late).Result;
    }
}
