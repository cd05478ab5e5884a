using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Serving;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Serving;

/// <summary>
/// <c>serve-load [--seconds S] [--rounds R]</c>: the 784-256-128-10 MLP behind Pipelines.Serving on 127.0.0.1, loaded by
/// <c>autocannon</c> (npm) with single-example JSON requests at 1, 16, 64 and 256 connections, dynamic batching on
/// (MaxBatchSize 64, MaxDelay 1 ms) and off (MaxBatchSize 1) in the same run, and batching with the binary tensor data
/// extension instead of JSON, and closed-loop gRPC callers with raw contents: requests/s and p50/p99 latency, against
/// the HTTP stack's own cost (the liveness endpoint at the same load) and the latency contract (the delay, one full
/// batch's forward pass and that HTTP cost). Every row is run R times (3 unless told), the rounds interleaved, and
/// reported by its medians with the spread of its requests/s, since a row at one connection moves by a quarter
/// between runs on a shared two-core machine. autocannon is not installed by this command: <c>npm install -g autocannon</c>.
/// </summary>
internal static class HttpLoadBenchmark
{
    private static readonly int[] Connections = [1, 16, 64, 256];

    public static async Task<int> Run(string[] args)
    {
        var seconds = Option(args, "--seconds", 5);
        var rounds = Option(args, "--rounds", 3);
        if (!Installed())
        {
            Console.Error.WriteLine("serve-load needs autocannon on the PATH: npm install -g autocannon (node 20 is enough).");
            return 2;
        }
        Layer model = new Linear(new Key(0), 784, 256) >> new ReLU() >> new Linear(new Key(1), 256, 128) >> new ReLU() >> new Linear(new Key(2), 128, 10);
        // autocannon sends a body file as text, so the binary body must be valid ASCII: each float's four bytes are
        // chosen below 0x80 (values between about 0.12 and 0.25, varied), and the JSON rows send the same example.
        var example = Tensor.FromSpan([.. Enumerable.Range(0, 784).Select(i => BitConverter.Int32BitsToSingle(0x3E000000 | ((i * 0x0A1B2D) & 0x007F7F7F)))], new Shape(784));
        var body = Path.GetTempFileName();
        await File.WriteAllTextAsync(body, $$"""{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 784], "data": [{{string.Join(",", example.ToFloat32Array().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}}]}]}""");
        // The same example with the binary tensor data extension: a JSON header, then the raw floats.
        var binary = Path.GetTempFileName();
        var header = System.Text.Encoding.UTF8.GetBytes("""{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 784], "parameters": {"binary_data_size": 3136}}]}""");
        await File.WriteAllBytesAsync(binary, [.. header, .. System.Runtime.InteropServices.MemoryMarshal.AsBytes(example.AsSpan<float>()).ToArray()]);
        var batch = Tensor.Normal(new Key(1), new Shape(64, 784));
        var fullBatch = Timing.MedianMicroseconds(() => model.Forward(batch));
        var alone = Timing.MedianMicroseconds(() => model.Forward(example.Reshape(new Shape(1, 784))));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model: one example {alone:F0} µs, a batch of 64 {fullBatch:F0} µs; {seconds} s per row, {rounds} rounds; {Environment.ProcessorCount} cores shared with autocannon"));
        var runs = new List<(string Mode, int Connections, Load Load)>();
        // Both servers live through the run and each connection count loads them in turn, so a shared machine's drift
        // falls on both alike.
        await using var batching = await Server.StartAsync(model, new InferenceOptions { MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(1), QueueCapacity = 16384 });
        await using var single = await Server.StartAsync(model, new InferenceOptions { MaxBatchSize = 1, QueueCapacity = 16384 });
        // Warm-up on both servers and both encodings, long enough for the JIT's tiers to settle before the first row.
        foreach (var server in new[] { batching, single })
        {
            await Autocannon(server.Url + "/v2/models/mlp/infer", body, 16, 3);
            await Autocannon(server.Url + "/v2/models/mlp/infer", binary, 16, 1, header.Length);
            await Autocannon(server.Url + "/v2/models/mlp/infer", body, 1, 1);
        }
        for (var round = 0; round < rounds; round++)
        {
            foreach (var connections in Connections)
            {
                runs.Add(("batching", connections, await Autocannon(batching.Url + "/v2/models/mlp/infer", body, connections, seconds)));
                runs.Add(("no batching", connections, await Autocannon(single.Url + "/v2/models/mlp/infer", body, connections, seconds)));
                runs.Add(("batching, binary", connections, await Autocannon(batching.Url + "/v2/models/mlp/infer", binary, connections, seconds, header.Length)));
                runs.Add(("no batching, binary", connections, await Autocannon(single.Url + "/v2/models/mlp/infer", binary, connections, seconds, header.Length)));
                runs.Add(("http only (live)", connections, await Autocannon(batching.Url + "/v2/health/live", null, connections, seconds)));
                runs.Add(("grpc batching", connections, await GrpcLoad(batching.GrpcUrl, example, connections, seconds)));
                runs.Add(("grpc no batching", connections, await GrpcLoad(single.GrpcUrl, example, connections, seconds)));
            }
        }
        var rows = runs.GroupBy(r => (r.Mode, r.Connections)).Select(g => (g.Key.Mode, g.Key.Connections, Load: Load.Median([.. g.Select(r => r.Load)]))).ToList();
        File.Delete(body);
        File.Delete(binary);
        Console.WriteLine();
        Console.WriteLine($"medians of {rounds} rounds; spread: the rounds' requests/s range over their median; vs none: requests/s against no batching with the same encoding (JSON for the liveness rows); non-2xx: all rounds");
        Console.WriteLine($"{"mode",-20} {"conn",5} {"req/s",10} {"spread",7} {"p50 ms",8} {"p99 ms",8} {"non-2xx",8} {"vs none",8}");
        foreach (var (mode, connections, load) in rows)
        {
            var baseline = mode.StartsWith("grpc", StringComparison.Ordinal) ? "grpc no batching" : mode.EndsWith("binary", StringComparison.Ordinal) ? "no batching, binary" : "no batching";
            var none = rows.First(r => r.Mode == baseline && r.Connections == connections).Load;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode,-20} {connections,5} {load.RequestsPerSecond,10:F0} {load.Spread,7:P0} {load.P50,8:F2} {load.P99,8:F2} {load.Failed,8} {load.RequestsPerSecond / none.RequestsPerSecond,8:F2}"));
        }
        foreach (var connections in Connections)
        {
            var http = rows.First(r => r.Mode == "http only (live)" && r.Connections == connections).Load;
            var batched = rows.First(r => r.Mode == "batching" && r.Connections == connections).Load;
            var contract = 1 + (fullBatch / 1000) + http.P99;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{connections} connections: batching p99 {batched.P99:F2} ms against the contract {contract:F2} ms (1 ms delay + {fullBatch / 1000:F2} ms batch + {http.P99:F2} ms HTTP p99): {(batched.P99 <= contract ? "held" : "missed")}"));
        }
        return 0;
    }

    private static int Option(string[] args, string name, int otherwise) =>
        args.SkipWhile(a => a != name).Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(otherwise);

    private static bool Installed()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("autocannon", "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            process.WaitForExit(10_000);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static async Task<Load> Autocannon(string url, string? body, int connections, int seconds, int? binaryHeader = null)
    {
        var start = new ProcessStartInfo("autocannon") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-j", "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", seconds.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(argument);
        if (body is not null)
        {
            var type = binaryHeader is { } length ? ["-H", "Content-Type=application/octet-stream", "-H", $"Inference-Header-Content-Length={length}"] : new[] { "-H", "Content-Type=application/json" };
            foreach (var argument in new[] { "-m", "POST", "-i", body }.Concat(type))
                start.ArgumentList.Add(argument);
        }
        start.ArgumentList.Add(url);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var json = JsonDocument.Parse(await output).RootElement;
        var latency = json.GetProperty("latency");
        var failed = json.GetProperty("non2xx").GetInt64() + json.GetProperty("errors").GetInt64();
        if (failed > 0)
            Console.Error.WriteLine($"{url} at {connections} connections: {failed} failed; status codes {json.GetProperty("statusCodeStats").GetRawText()}");
        return new Load(json.GetProperty("requests").GetProperty("average").GetDouble(), latency.GetProperty("p50").GetDouble(), latency.GetProperty("p99").GetDouble(), failed, 0);
    }

    /// <summary>
    /// Closed-loop gRPC callers (the generated client; one HTTP/2 channel per 16 callers, as a client pool would), each
    /// sending raw FP32 contents and waiting for its answer before the next: requests/s and p50/p99 in ms.
    /// </summary>
    private static async Task<Load> GrpcLoad(string url, Tensor example, int callers, int seconds)
    {
        var channels = Enumerable.Range(0, (callers + 15) / 16).Select(_ => Grpc.Net.Client.GrpcChannel.ForAddress(url)).ToList();
        var raw = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(example.AsSpan<float>()));
        var request = new Pipelines.Serving.Grpc.ModelInferRequest { ModelName = "mlp", Inputs = { new Pipelines.Serving.Grpc.ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 1, 784 } } }, RawInputContents = { raw } };
        var latencies = new List<double>[callers];
        var failed = 0L;
        var end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var client = new Pipelines.Serving.Grpc.GRPCInferenceService.GRPCInferenceServiceClient(channels[c / 16]);
            latencies[c] = [];
            while (Stopwatch.GetTimestamp() < end)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await client.ModelInferAsync(request);
                    latencies[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (global::Grpc.Core.RpcException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })));
        foreach (var channel in channels)
            channel.Dispose();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Load(all.Length / (double)seconds, all[all.Length / 2], all[Math.Min(all.Length - 1, all.Length * 99 / 100)], failed, 0);
    }

    /// <summary>One row's figures; <see cref="Spread"/> is the range of its rounds' requests/s over their median.</summary>
    private sealed record Load(double RequestsPerSecond, double P50, double P99, long Failed, double Spread)
    {
        public static Load Median(IReadOnlyList<Load> rounds)
        {
            var throughput = Timing.Median(rounds.Select(r => r.RequestsPerSecond));
            return new Load(
                throughput,
                Timing.Median(rounds.Select(r => r.P50)),
                Timing.Median(rounds.Select(r => r.P99)),
                rounds.Sum(r => r.Failed),
                (rounds.Max(r => r.RequestsPerSecond) - rounds.Min(r => r.RequestsPerSecond)) / throughput);
        }
    }

    /// <summary>The served model on a free loopback port, HTTP/1.1, as an app registers it.</summary>
    private sealed class Server(WebApplication app, string url, string grpcUrl) : IAsyncDisposable
    {
        public string Url { get; } = url;

        public string GrpcUrl { get; } = grpcUrl;

        public static async Task<Server> StartAsync(Layer model, InferenceOptions options)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            var (port, grpcPort) = (FreePort(), FreePort());
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1);
                kestrel.Listen(IPAddress.Loopback, grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            });
            builder.Services.AddInference("mlp", model, new ServedModelOptions { InputShape = new Shape(784), Inference = options });
            var app = builder.Build();
            app.MapInference();
            await app.StartAsync();
            return new Server(app, $"http://127.0.0.1:{port}", $"http://127.0.0.1:{grpcPort}");
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
