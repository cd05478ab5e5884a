using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.IO;

/// <summary>
/// Saves and loads a 1.07 GB state dict (four 8192×8192 float32 layers) against <c>cp</c> of the same file on the same disk
/// in the same run. Save flushes the file to disk, so <c>cp</c> followed by <c>sync</c> of the copy is its fair reference;
/// load only reads. The MB/s column divides the state dict's size by the median; the Allocated column is the managed memory one
/// operation takes, which for a load bounds its peak (nothing it allocates is freed before it returns).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 7)]
public class SafeTensorsBenchmarks
{
    private const int Width = 8192;
    private const int Layers = 4;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipelines-io-benchmark");
    private Layer _model = null!;

    private string Source => Path.Combine(_directory, "model.safetensors");

    private string Target => Path.Combine(_directory, "copy.safetensors");

    /// <summary>The state dict's tensor bytes (the header adds under a kilobyte), for the MB/s column; a constant because the
    /// column is computed in the host process, not in the one that ran the benchmark.</summary>
    public const long StateBytes = Layers * ((long)Width * Width + Width) * sizeof(float);

    [GlobalSetup]
    public void Setup()
    {
        Directory.CreateDirectory(_directory);
        var key = new Key(0);
        _model = Enumerable.Range(0, Layers)
            .Select(i => (Layer)new Linear(key.Fold((ulong)i), Width, Width))
            .Aggregate((a, b) => a >> b);
        StateDict.Save(Source, _model);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark]
    public void Save() => StateDict.Save(Target, _model);

    [Benchmark]
    public Layer Load() => StateDict.Load(_model, SafeTensors.Load(Source));

    [Benchmark(Baseline = true)]
    public void Cp() => Run("cp", Source, Target);

    [Benchmark]
    public void CpThenSync()
    {
        Run("cp", Source, Target);
        Run("sync", Target);
    }

    private static void Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { UseShellExecute = false })
            ?? throw new InvalidOperationException($"Could not start {command}.");
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} exited with {process.ExitCode}.");
    }

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new MegabytesPerSecondColumn());
    }
}
