using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipelines.Dataflow;
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
        await using var host = await ServingHost.StartAsync(services => services.AddInference("mlp", first, new ServedModelOptions { InputShape = ServingHost.Example }));
        var x = Tensor.Normal(new Key(5), ServingHost.Example);
        var body = new HeldContent(Encoding.UTF8.GetBytes(Body(x)));
        var pending = host.Http.PostAsync("/v2/models/mlp/infer", body);
        await body.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(100);
        host.Models.Swap("mlp", second);
        body.Release.SetResult();
        using var response = await pending;
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", answer.GetProperty("model_version").GetString());
        Assert.Equal(first.Forward(x.Reshape(new Shape(1, 12))).ToFloat32Array().Select(BitConverter.SingleToInt32Bits), answer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => BitConverter.SingleToInt32Bits(e.GetSingle())));
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
        // Behind the held pass, one request waits in the gatherer's full batch and one in the queue of one; the next is
        // refused. Requests are sent until one is, each given time to settle, however slowly the machine runs them.
        var accepted = new List<Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)>>();
        (HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)? refused = null;
        for (var attempt = 0; attempt < 10 && refused is null; attempt++)
        {
            var next = PostAsync(host, Tensor.Zeros(ServingHost.Example));
            if (await Task.WhenAny(next, Task.Delay(500)) == next && await next is var answered && answered.Status != HttpStatusCode.OK)
                refused = answered;
            else
                accepted.Add(next);
        }
        Assert.NotNull(refused);
        var (status, body, response) = refused.Value;
        Assert.InRange(accepted.Count, 1, 2);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        Assert.Contains("queue is full", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        gate.Open();
        Assert.Equal(HttpStatusCode.OK, (await held).Status);
        Assert.All(await Task.WhenAll(accepted), a => Assert.Equal(HttpStatusCode.OK, a.Status));
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
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.FlushAsync();
            Started.TrySetResult();
            await Release.Task;
            await stream.WriteAsync(bytes);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A model whose forward pass waits at a gate the test opens, so requests can be held in flight.</summary>
    private sealed record Gate(Layer Inner) : Layer, IDisposable
    {
        private readonly ManualResetEventSlim _open = new(true);

        public ManualResetEventSlim Entered { get; } = new(false);

        public override LayerParts Parts => new() { Children = [("inner", Inner)] };

        public void Close()
        {
            Entered.Reset();
            _open.Reset();
        }

        public void Open() => _open.Set();

        public void Dispose()
        {
            _open.Set();
            _open.Dispose();
            Entered.Dispose();
        }

        protected override Layer Rebuild(LayerParts parts) => this with { Inner = parts.Child<Layer>("inner") };

        protected override Traced ForwardCore(Tensor x, ForwardContext context)
        {
            Entered.Set();
            _open.Wait(TimeSpan.FromSeconds(30));
            var inner = Inner.Forward(x, context.Child("inner"));
            return new Traced(inner.Output, inner.Trace, this);
        }

        protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient) => throw new NotSupportedException("Served only.");
    }
}
