using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pipelines.Dataflow;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Serving.Tests;

/// <summary>Swapping a model under load, a full queue, deadlines: what happens to requests while the server's state changes.</summary>
public sealed class ModelLifecycleTests
{
    private static string Body(Tensor x) =>
        $$"""{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 12], "data": [{{string.Join(", ", x.ToFloat32Array().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}}]}]}""";

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(ServingHost host, Tensor x, string? timeoutMs = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/mlp/infer") { Content = new StringContent(Body(x), Encoding.UTF8, "application/json") };
        if (timeoutMs is not null)
            request.Headers.Add("Request-Timeout-Ms", timeoutMs);
        var response = await host.Http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone(), response);
    }

    [Fact]
    public async Task A_swap_under_load_fails_no_request_and_each_answer_comes_from_the_version_it_names()
    {
        var (first, second) = (ServingHost.Model(3), ServingHost.Model(30));
        await using var host = await ServingHost.StartAsync(services => services.AddInference("mlp", first, new ServedModelOptions { InputShape = ServingHost.Example }));
        var load = Enumerable.Range(0, 200).Select(async i =>
        {
            await Task.Delay(i % 20);
            var x = Tensor.Normal(new Key(9).Fold((ulong)i), ServingHost.Example);
            var (status, body, _) = await PostAsync(host, x);
            return (x, status, body);
        }).ToList();
        await Task.Delay(5);
        Assert.Equal("2", host.Models.Swap("mlp", second));
        var results = await Task.WhenAll(load);
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.status));
        foreach (var (x, _, body) in results)
        {
            var model = body.GetProperty("model_version").GetString() == "1" ? first : second;
            var expected = model.Forward(x.Reshape(new Shape(1, 12))).ToFloat32Array().Select(BitConverter.SingleToInt32Bits);
            Assert.Equal(expected, body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => BitConverter.SingleToInt32Bits(e.GetSingle())));
        }
        Assert.Equal("2", (await PostAsync(host, Tensor.Zeros(ServingHost.Example))).Body.GetProperty("model_version").GetString());
        Assert.Equal("2", (await host.Http.GetFromJsonAsync<JsonElement>("/v2/models/mlp")).GetProperty("versions")[0].GetString());
    }

    /// <summary>A request whose body is still arriving when the swap happens has already been taken: the version it entered answers it.</summary>
    [Fact]
    public async Task A_request_taken_before_a_swap_is_answered_by_the_version_it_entered()
    {
        var (first, second) = (ServingHost.Model(3), ServingHost.Model(30));
        // The endpoint enters the current version before it reads the body, so its first read means the request is taken.
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await ServingHost.StartAsync(
            services => services.AddInference("mlp", first, new ServedModelOptions { InputShape = ServingHost.Example }),
            middleware: app => app.Use((context, next) =>
            {
                context.Request.Body = new FirstReadSignal(context.Request.Body, reading);
                return next(context);
            }));
        var x = Tensor.Normal(new Key(5), ServingHost.Example);
        var body = new HeldContent(Encoding.UTF8.GetBytes(Body(x)));
        var pending = host.Http.PostAsync("/v2/models/mlp/infer", body);
        await reading.Task.WaitAsync(TimeSpan.FromSeconds(10));
        host.Models.Swap("mlp", second);
        body.Release.SetResult();
        using var response = await pending;
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", answer.GetProperty("model_version").GetString());
        Assert.Equal(first.Forward(x.Reshape(new Shape(1, 12))).ToFloat32Array().Select(BitConverter.SingleToInt32Bits), answer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => BitConverter.SingleToInt32Bits(e.GetSingle())));
    }

    /// <summary>A watched safetensors file: each good write is the next version; a bad one changes nothing and shows as degraded readiness.</summary>
    [Fact]
    public async Task A_watched_file_swaps_in_each_good_write_and_ignores_a_bad_one()
    {
        var folder = Directory.CreateTempSubdirectory("pipelines-watch-");
        try
        {
            var path = Path.Combine(folder.FullName, "mlp.safetensors");
            var (first, second) = (ServingHost.Model(3), ServingHost.Model(30));
            StateDict.Save(path, first);
            await using var host = await ServingHost.StartAsync(services => services.AddInference("mlp", first, new ServedModelOptions { InputShape = ServingHost.Example, WatchFile = path }));
            var health = host.Services.GetRequiredService<HealthCheckService>();
            StateDict.Save(path, second);
            for (var waited = 0; waited < 100 && host.Models.VersionOf("mlp") == "1"; waited++)
                await Task.Delay(100);
            Assert.Equal("2", host.Models.VersionOf("mlp"));
            var x = Tensor.Normal(new Key(6), ServingHost.Example);
            var (_, answer, _) = await PostAsync(host, x);
            Assert.Equal(second.Forward(x.Reshape(new Shape(1, 12))).ToFloat32Array().Select(BitConverter.SingleToInt32Bits), answer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => BitConverter.SingleToInt32Bits(e.GetSingle())));
            Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);
            // Another architecture's weights: refused, version 2 still serves, readiness degraded but ready.
            StateDict.Save(path, new Linear(new Key(1), 12, 4));
            HealthReport report;
            var polls = 0;
            do
            {
                await Task.Delay(100);
                report = await health.CheckHealthAsync();
            }
            while (report.Status == HealthStatus.Healthy && ++polls < 100);
            Assert.Equal(HealthStatus.Degraded, report.Status);
            Assert.Contains("could not be loaded into model 'mlp'", report.Entries["pipelines-models"].Description, StringComparison.Ordinal);
            Assert.Equal("2", host.Models.VersionOf("mlp"));
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/v2/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(host, x)).Status);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_swap_to_a_model_of_another_signature_is_refused_and_changes_nothing()
    {
        await using var host = await ServingHost.StartAsync(services => services.AddInference("mlp", ServingHost.Model(), new ServedModelOptions { InputShape = ServingHost.Example }));
        var wider = new Linear(new Key(1), 12, 5);
        Assert.Contains("gives [5] (FP32) per example, but version 1 gives [4] (FP32)", Assert.Throws<ArgumentException>(() => host.Models.Swap("mlp", wider)).Message, StringComparison.Ordinal);
        Assert.Contains("does not take one example of [12]", Assert.Throws<ArgumentException>(() => host.Models.Swap("mlp", new Linear(new Key(1), 13, 4))).Message, StringComparison.Ordinal);
        Assert.Equal("1", host.Models.VersionOf("mlp"));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(host, Tensor.Zeros(ServingHost.Example))).Status);
    }

    [Fact]
    public async Task A_full_queue_is_a_503_with_retry_after_and_a_passed_deadline_a_504()
    {
        using var gate = new Gate(ServingHost.Model());
        await using var host = await ServingHost.StartAsync(services => services.AddInference("mlp", gate, new ServedModelOptions
        {
            InputShape = ServingHost.Example,
            Inference = new InferenceOptions { MaxBatchSize = 1, QueueCapacity = 1, Parallelism = 1 },
        }));
        // One request while the gate is open, so the pipeline's shape check (a forward pass of its own) is done.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(host, Tensor.Zeros(ServingHost.Example))).Status);
        gate.Close();
        var held = PostAsync(host, Tensor.Zeros(ServingHost.Example));
        Assert.True(gate.Entered.Wait(TimeSpan.FromSeconds(10)), "the first request never reached the model");
        // Behind the held pass at most two more are taken (one in the gatherer's full batch, one in the queue of one), so
        // of four more at least two are refused at once, however slowly the machine runs.
        var more = new List<Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)>>();
        for (var i = 0; i < 4; i++)
        {
            more.Add(PostAsync(host, Tensor.Zeros(ServingHost.Example)));
            await Task.Delay(100);
        }
        for (var polls = 0; polls < 200 && more.Count(m => m.IsCompleted) < 2; polls++)
            await Task.Delay(100);
        var refused = more.Where(m => m.IsCompleted).ToList();
        Assert.True(refused.Count >= 2, $"{refused.Count} of 4 requests beyond the queue's room were answered while the model was held");
        foreach (var answer in refused)
        {
            var (status, body, response) = await answer;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
            Assert.Contains("queue is full", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        gate.Open();
        Assert.Equal(HttpStatusCode.OK, (await held).Status);
        Assert.All(await Task.WhenAll(more.Except(refused)), a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, a.Status.ToString()));
        gate.Close();
        var blocked = PostAsync(host, Tensor.Zeros(ServingHost.Example));
        Assert.True(gate.Entered.Wait(TimeSpan.FromSeconds(10)));
        var (late, error, _) = await PostAsync(host, Tensor.Zeros(ServingHost.Example), timeoutMs: "50");
        Assert.Equal(HttpStatusCode.GatewayTimeout, late);
        Assert.Contains("passed its deadline of 50 ms", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        gate.Open();
        Assert.Equal(HttpStatusCode.OK, (await blocked).Status);
    }

    /// <summary>A request body that is sent only once the test releases it: the server has the request's headers (and has taken it) before.</summary>
    private sealed class HeldContent(byte[] bytes) : HttpContent
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.FlushAsync();
            await Release.Task;
            await stream.WriteAsync(bytes);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A request body that says when the server first reads it.</summary>
    private sealed class FirstReadSignal(Stream inner, TaskCompletionSource reading) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            reading.TrySetResult();
            return inner.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            reading.TrySetResult();
            return inner.Read(buffer, offset, count);
        }

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
