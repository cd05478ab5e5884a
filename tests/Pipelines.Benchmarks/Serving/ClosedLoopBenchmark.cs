using System.Diagnostics;
using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Serving;

/// <summary>
/// <c>serve-closed-loop</c>: callers that each wait for their answer before sending the next request (a closed loop, as
/// HTTP clients with one connection each behave), through the inference pipeline with its default options, against one
/// caller calling <c>model.Forward</c> one example at a time, in the same run, on the 784-256-128-10 MLP. Batching must
/// never be slower than no batching: the ratio is pipeline requests/s over one-at-a-time requests/s.
/// </summary>
internal static class ClosedLoopBenchmark
{
    private static readonly int[] Callers = [1, 4, 16, 64, 256];

    private static Layer Model { get; } = new Linear(new Key(0), 784, 256) >> new ReLU() >> new Linear(new Key(1), 256, 128) >> new ReLU() >> new Linear(new Key(2), 128, 10);

    private static Tensor[] Inputs { get; } = [.. Enumerable.Range(0, 256).Select(i => Tensor.Normal(new Key(9).Fold((ulong)i), new Shape(784)))];

    public static int Run(string[] args)
    {
        var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(a => double.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(2);
        var options = new InferenceOptions();
        Console.WriteLine($"InferenceOptions: MaxBatchSize {options.MaxBatchSize}, MaxDelay {options.MaxDelay.TotalMilliseconds} ms, Parallelism {options.Parallelism}; {seconds} s per row after {seconds / 4} s of warm-up");
        Console.WriteLine($"{"callers",7} {"pipeline req/s",15} {"one-at-a-time req/s",20} {"ratio",6} {"p50 µs",8} {"p99 µs",8} {"mean batch",10}");
        foreach (var callers in Callers)
        {
            OneAtATime(TimeSpan.FromSeconds(seconds / 4));
            var single = OneAtATime(TimeSpan.FromSeconds(seconds));
            Pipelined(callers, TimeSpan.FromSeconds(seconds / 4), options);
            var (rate, p50, p99, batch) = Pipelined(callers, TimeSpan.FromSeconds(seconds), options);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{callers,7} {rate,15:N0} {single,20:N0} {rate / single,6:F2} {p50,8:F0} {p99,8:F0} {batch,10:F1}"));
        }
        return 0;
    }

    /// <summary>Requests per second of one caller running each request alone as a batch of one.</summary>
    private static double OneAtATime(TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var count = 0;
        while (clock.Elapsed < duration)
            Model.Forward(Inputs[count++ % Inputs.Length].Reshape(new Shape(1, 784)));
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Requests per second, latency percentiles (µs) and the mean batch of <paramref name="callers"/> closed-loop callers.</summary>
    private static (double Rate, double P50, double P99, double MeanBatch) Pipelined(int callers, TimeSpan duration, InferenceOptions options)
    {
        var pipeline = new InferencePipeline(Model, options);
        var latencies = new List<double>[callers];
        var batches = new List<long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Pipelines.Inference" && instrument.Name.Contains("batch", StringComparison.Ordinal))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            lock (batches)
                batches.Add(value);
        });
        listener.Start();
        var clock = Stopwatch.StartNew();
        // Each caller on a thread-pool task of its own, as a server's connections are: a request the pipeline runs at once
        // completes synchronously, and callers started in one loop would otherwise run one after another.
        var loops = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            latencies[c] = [];
            for (var i = c; clock.Elapsed < duration; i += callers)
            {
                var sent = Stopwatch.GetTimestamp();
                await pipeline.InferAsync(Inputs[i % Inputs.Length]).ConfigureAwait(false);
                latencies[c].Add(Stopwatch.GetElapsedTime(sent).TotalMicroseconds);
            }
        })).ToArray();
        Task.WhenAll(loops).GetAwaiter().GetResult();
        var elapsed = clock.Elapsed.TotalSeconds;
        pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        listener.Dispose();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double meanBatch;
        lock (batches)
            meanBatch = batches.Count == 0 ? double.NaN : batches.Average();
        return (all.Length / elapsed, all[all.Length / 2], all[(int)(all.Length * 0.99)], meanBatch);
    }
}
