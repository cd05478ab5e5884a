using System.Diagnostics;
using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// The inference pipeline under 64 closed-loop callers of single requests (the 784-256-128-10 MLP): throughput and p50/p99 latency
/// against one-at-a-time forward calls, and a check that every batched answer is bitwise the one-at-a-time answer.
/// </summary>
public static class ServeCommand
{
    public const string Description = "the inference pipeline under 64 callers of single requests: throughput and p50/p99 against one-at-a-time; --http PORT serves the main job's digits model over the network";

    public static async Task<int> Run(CommandLine line)
    {
        if (line.Flag("http"))
            return await ServeHttpCommand.Run(line);
        var output = new Output("serve", line);
        var requests = line.Int("requests", 20_000);
        var model = new Linear(new Key(0), 784, 256) >> new ReLU() >> new Linear(new Key(1), 256, 128) >> new ReLU() >> new Linear(new Key(2), 128, 10);
        var inputs = Enumerable.Range(0, 512).Select(i => Tensor.Normal(new Key(9).Fold((ulong)i), new Shape(784))).ToArray();
        Tensor Alone(Tensor x) => model.Forward(x.Reshape(new Shape(1, 784)))[0];
        for (var i = 0; i < 200; i++)
            Alone(inputs[i % inputs.Length]);
        var single = new double[requests];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < requests; i++)
        {
            var started = Stopwatch.GetTimestamp();
            Alone(inputs[i % inputs.Length]);
            single[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
        var singleTime = clock.Elapsed;
        await using var pipeline = new InferencePipeline(model, new InferenceOptions { MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(1), QueueCapacity = requests });
        await Task.WhenAll(inputs.Select(x => pipeline.InferAsync(x)));
        var latencies = new double[requests];
        clock.Restart();
        // 64 callers, each sending its next request when its last is answered, as a server's connections do: a request
        // that finds the pipeline idle runs at once on its caller's thread, the others gather into batches.
        const int callers = 64;
        var answers = new Tensor[requests];
        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            for (var i = c; i < requests; i += callers)
            {
                var started = Stopwatch.GetTimestamp();
                answers[i] = await pipeline.InferAsync(inputs[i % inputs.Length]).ConfigureAwait(false);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }
        })));
        var pipelineTime = clock.Elapsed;
        var same = answers.Select((a, i) => (a, i)).Take(inputs.Length).All(p => p.a.BitwiseEquals(Alone(inputs[p.i])));
        Array.Sort(single);
        Array.Sort(latencies);
        output.Table($"{requests} single requests ({callers} callers through the pipeline)", ["", "requests/s", "p50 µs", "p99 µs"],
        [
            ["one at a time", Rate(requests, singleTime), single[requests / 2].ToString("F0", CultureInfo.InvariantCulture), single[requests * 99 / 100].ToString("F0", CultureInfo.InvariantCulture)],
            ["inference pipeline", Rate(requests, pipelineTime), latencies[requests / 2].ToString("F0", CultureInfo.InvariantCulture), latencies[requests * 99 / 100].ToString("F0", CultureInfo.InvariantCulture)],
        ]);
        output.Result(string.Create(CultureInfo.InvariantCulture, $"serve: {singleTime / pipelineTime:F1}× the one-at-a-time throughput ({requests / pipelineTime.TotalSeconds:N0} against {requests / singleTime.TotalSeconds:N0} requests/s); batched answers bitwise the single ones: {same}"));
        return same ? 0 : 1;
    }

    private static string Rate(int requests, TimeSpan time) => (requests / time.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture);
}
