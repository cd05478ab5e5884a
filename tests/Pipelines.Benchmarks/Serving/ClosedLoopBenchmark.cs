using System.Diagnostics;
using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Serving;

/// <summary>
/// <c>serve-closed-loop</c>: callers that each wait for their answer before sending the next request (a closed loop, as
/// HTTP clients with one connection each behave), through the inference pipeline with its default options, against one
/// caller calling <c>model.Forward</c> one example at a time in the same harness and run, on the 784-256-128-10 MLP. Batching must
/// never be slower than no batching: the ratio is pipeline requests/s over one-at-a-time requests/s.
/// </summary>
internal static class ClosedLoopBenchmark
{
    private static readonly int[] Callers = [1, 4, 16, 64, 256];

    private const int Slices = 7;

    private static Layer Model { get; } = new Linear(new Key(0), 784, 256) >> new ReLU() >> new Linear(new Key(1), 256, 128) >> new ReLU() >> new Linear(new Key(2), 128, 10);

    private static Tensor[] Inputs { get; } = [.. Enumerable.Range(0, 256).Select(i => Tensor.Normal(new Key(9).Fold((ulong)i), new Shape(784)))];

    public static int Run(string[] args)
    {
        var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(a => double.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(3);
        var options = new InferenceOptions();
        Console.WriteLine($"InferenceOptions: MaxBatchSize {options.MaxBatchSize}, MaxDelay {options.MaxDelay.TotalMilliseconds} ms, Parallelism {options.Parallelism}; {seconds} s per row and side in {Slices} alternating slices, medians");
        Console.WriteLine($"{"callers",7} {"pipeline req/s",15} {"one-at-a-time req/s",20} {"ratio",6} {"p50 µs",8} {"p99 µs",8} {"mean batch",10}");
        foreach (var callers in Callers)
        {
            // The machines are shared and noisy: short slices of the reference and of the pipeline alternate, and each
            // figure is the median over the slices (the ratio the median of the slices' ratios).
            var slice = TimeSpan.FromSeconds(seconds / Slices);
            OneAtATime(slice);
            Pipelined(callers, slice, options);
            var rows = Enumerable.Range(0, Slices).Select(_ => (Single: OneAtATime(slice), Pipeline: Pipelined(callers, slice, options))).ToList();
            double Median(IEnumerable<double> values) => values.Order().ElementAt(Slices / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{callers,7} {Median(rows.Select(r => r.Pipeline.Rate)),15:N0} {Median(rows.Select(r => r.Single)),20:N0} {Median(rows.Select(r => r.Pipeline.Rate / r.Single)),6:F2} {Median(rows.Select(r => r.Pipeline.P50)),8:F0} {Median(rows.Select(r => r.Pipeline.P99)),8:F0} {Median(rows.Select(r => r.Pipeline.MeanBatch)),10:F1}"));
        }
        // The latency contract under open-loop (Poisson) arrivals, as compare-training measures it, without the PyTorch side.
        foreach (var rate in new[] { 2_000.0, 10_000, 30_000 })
        {
            var (p50, p99, contract) = ServingBenchmark.Latency(rate);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Poisson {rate,7:N0} requests/s: p50 {p50,6:F0} µs, p99 {p99,6:F0} µs, contract {contract,6:F0} µs, held at p99: {(p99 <= contract ? "yes" : "no")}"));
        }
        return 0;
    }

    /// <summary>Requests per second of one caller calling <c>model.Forward</c> on each request alone, in the same harness.</summary>
    private static double OneAtATime(TimeSpan duration) =>
        ClosedLoop(1, duration, x => ValueTask.FromResult(Model.Forward(x.Reshape(new Shape(1, 784)))[0])).Rate;

    /// <summary>Requests per second, latency percentiles (µs) and the mean batch of <paramref name="callers"/> closed-loop callers.</summary>
    private static (double Rate, double P50, double P99, double MeanBatch) Pipelined(int callers, TimeSpan duration, InferenceOptions options)
    {
        var pipeline = new InferencePipeline(Model, options);
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
        var (rate, p50, p99) = ClosedLoop(callers, duration, x => new ValueTask<Tensor>(pipeline.InferAsync(x)));
        pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        listener.Dispose();
        lock (batches)
            return (rate, p50, p99, batches.Count == 0 ? double.NaN : batches.Average());
    }

    /// <summary>
    /// <paramref name="callers"/> callers, each on a thread-pool task of its own as a server's connections are, sending
    /// a request and waiting for its answer until <paramref name="duration"/> has passed.
    /// </summary>
    private static (double Rate, double P50, double P99) ClosedLoop(int callers, TimeSpan duration, Func<Tensor, ValueTask<Tensor>> send)
    {
        var latencies = new List<double>[callers];
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            latencies[c] = [];
            for (var i = c; clock.Elapsed < duration; i += callers)
            {
                var sent = Stopwatch.GetTimestamp();
                await send(Inputs[i % Inputs.Length]).ConfigureAwait(false);
                latencies[c].Add(Stopwatch.GetElapsedTime(sent).TotalMicroseconds);
            }
        })).ToArray();
        Task.WhenAll(loops).GetAwaiter().GetResult();
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return (all.Length / elapsed, all[all.Length / 2], all[(int)(all.Length * 0.99)]);
    }
}
