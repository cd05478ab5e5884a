using System.Diagnostics;
using Pipelines.Dataflow;
using Pipelines.Kernels.Threading;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Serving;

/// <summary>
/// The inference pipeline on the 784-256-128-10 MLP: throughput on a stream of single examples against one-at-a-time
/// forward calls, and latency percentiles under Poisson arrivals, with the latency contract (the batch delay plus one
/// batch's execution) measured in the same run.
/// </summary>
internal static class ServingBenchmark
{
    private const int Requests = 8192;
    private static readonly InferenceOptions Options = new() { MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(1), QueueCapacity = 16384 };

    private static Layer Model { get; } = new Linear(new Key(0), 784, 256) >> new ReLU() >> new Linear(new Key(1), 256, 128) >> new ReLU() >> new Linear(new Key(2), 128, 10);

    private static Tensor[] Inputs { get; } = [.. Enumerable.Range(0, 256).Select(i => Tensor.Normal(new Key(9).Fold((ulong)i), new Shape(784)))];

    /// <summary>µs per example one at a time (each a batch of one) and through the pipeline with every request in flight.</summary>
    public static (double OneAtATime, double Pipeline) Throughput()
    {
        var single = Timing.MedianMicroseconds(() =>
        {
            foreach (var x in Inputs)
                Model.Forward(x.Reshape(new Shape(1, 784)));
        }) / Inputs.Length;
        var pipelined = Timing.MedianMicroseconds(() =>
        {
            using var pipeline = new Runner(Options with { Parallelism = Math.Max(1, ThreadBudget.MaxThreads / 2) });
            pipeline.Run(Requests);
        }, budgetSeconds: 3) / Requests;
        return (single, pipelined);
    }

    /// <summary>
    /// Latency percentiles (µs) of <paramref name="rate"/> requests per second arriving as a Poisson process for 1.5 s,
    /// after 0.3 s of the same to warm the code up; and the contract: the delay, the half millisecond by which the
    /// pipeline's whole-millisecond waits may miss it, and one full batch's forward pass.
    /// </summary>
    public static (double P50, double P99, double Contract) Latency(double rate)
    {
        var contract = Options.MaxDelay.TotalMicroseconds + 500 + BatchExecution();
        using var pipeline = new Runner(Options);
        pipeline.RunPoisson(rate, TimeSpan.FromSeconds(0.3));
        var latencies = pipeline.RunPoisson(rate, TimeSpan.FromSeconds(1.5));
        latencies.Sort();
        return (latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.99)], contract);
    }

    /// <summary>One full batch's forward pass, µs (the part of the contract beyond the delay).</summary>
    private static double BatchExecution()
    {
        var batch = Tensor.Stack([.. Inputs.Take(Options.MaxBatchSize)]);
        return Timing.MedianMicroseconds(() => Model.Forward(batch));
    }

    /// <summary>A pipeline and the clock around its requests.</summary>
    private sealed class Runner(InferenceOptions options) : IDisposable
    {
        private readonly InferencePipeline _pipeline = new(Model, options);

        // 64 callers on thread-pool tasks of their own, each sending its next request when its last is answered (as a
        // server's connections do); requests posted in a loop by one thread would each run alone on that thread.
        public void Run(int requests) =>
            Task.WhenAll(Enumerable.Range(0, 64).Select(c => Task.Run(async () =>
            {
                for (var i = c; i < requests; i += 64)
                    await _pipeline.InferAsync(Inputs[i % Inputs.Length]).ConfigureAwait(false);
            }))).GetAwaiter().GetResult();

        public List<double> RunPoisson(double rate, TimeSpan duration)
        {
            var random = new Random(1);
            var latencies = new List<double>();
            var pending = new List<Task>();
            var clock = Stopwatch.StartNew();
            var next = 0.0;
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; next < duration.TotalSeconds; i++)
            {
                next += -Math.Log(1 - random.NextDouble()) / rate;
                // Yield rather than spin: on two cores a spinning sender would take the pipeline's second core.
                while (clock.Elapsed.TotalSeconds < next)
                    Thread.Yield();
                // Latency counts from the scheduled arrival, so a late sender counts against the pipeline, not for it.
                var sent = start + (long)(next * Stopwatch.Frequency);
                pending.Add(_pipeline.InferAsync(Inputs[i % Inputs.Length]).ContinueWith(
                    _ =>
                    {
                        lock (latencies)
                            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMicroseconds);
                    },
                    TaskContinuationOptions.ExecuteSynchronously));
            }
            Task.WhenAll(pending).GetAwaiter().GetResult();
            return latencies;
        }

        public void Dispose() => _pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
