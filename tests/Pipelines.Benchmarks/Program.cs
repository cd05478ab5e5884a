using BenchmarkDotNet.Running;
using Pipelines.Benchmarks;

// `compare [case ...] [--one-thread]`: ours against numpy/OpenBLAS side by side. Anything else goes to BenchmarkDotNet.
return args.Length > 0 && args[0] == "compare"
    ? Compare.Run(args[1..])
    : RunBenchmarkDotNet(args);

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(LinearBenchmarks).Assembly).Run(args);
    return 0;
}
