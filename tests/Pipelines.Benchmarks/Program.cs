using BenchmarkDotNet.Running;
using Pipelines.Benchmarks;
using Pipelines.Benchmarks.Cluster;
using Pipelines.Benchmarks.Serving;
using Pipelines.Benchmarks.Training;

// `compare [case ...] [--one-thread | --threads N]`: our GEMM against numpy/OpenBLAS side by side; `compare-training [case ...]
// [--one-thread]`: training steps and the digits recipe against PyTorch; `compare-derived [--one-thread]`: forward-only
// layers' gradient steps against hand-fused ones, and the tape's cost per operation; `serve-closed-loop [--seconds S]`: closed-loop
// callers through the inference pipeline against one-at-a-time forward calls; `serve-load [--seconds S]`: the network
// server under autocannon, batching on and off; `compare-cluster [--silos 2,3] [--steps N]`: the cluster trainer's step on
// local silo processes against one process and PyTorch's DistributedDataParallel; `blocking`: the caches found, the GEMM
// blocking derived from them and the measured FMA peak. Anything else goes to BenchmarkDotNet.
return args.FirstOrDefault() switch
{
    "compare" => Compare.Run(args[1..]),
    "compare-training" => CompareTraining.Run(args[1..]),
    "compare-derived" => CompareDerived.Run(args[1..]),
    "serve-closed-loop" => ClosedLoopBenchmark.Run(args[1..]),
    "serve-load" => HttpLoadBenchmark.Run(args[1..]).GetAwaiter().GetResult(),
    "compare-cluster" => CompareCluster.Run(args[1..]),
    "blocking" => Blocking.Run(),
    _ => RunBenchmarkDotNet(args),
};

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(LinearBenchmarks).Assembly).Run(args);
    return 0;
}
