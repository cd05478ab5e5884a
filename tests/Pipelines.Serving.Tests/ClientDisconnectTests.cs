using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using Grpc.Core;
using Pipelines.Dataflow;
using Pipelines.Serving.Grpc;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Serving.Tests;

/// <summary>
/// A client that disconnects (a REST connection closed, a gRPC call canceled) leaves its forming batch at once: with
/// the model's one forward slot held by a request at its <see cref="Gate"/>, the next request waits in a forming batch
/// (batches here wait up to a minute); when its client goes away, the pipeline counts it canceled within moments, long
/// before the batch would run. Alone in its collection, as the meters it reads (the pipeline's cancellations, the
/// server's active requests) are shared by every test of the process.
/// </summary>
[Collection(nameof(ClientDisconnectTests))]
[CollectionDefinition(nameof(ClientDisconnectTests), DisableParallelization = true)]
public sealed class ClientDisconnectTests : IAsyncLifetime, IDisposable
{
    private const string Path = "/v2/models/mlp/infer";

    private readonly Gate _model = new(ServingHost.Model());
    private ServingHost _host = null!;

    public async Task InitializeAsync() => _host = await ServingHost.StartAsync(services => services.AddInference("mlp", _model, new ServedModelOptions
    {
        InputShape = ServingHost.Example,
        Inference = new InferenceOptions { MaxBatchSize = 64, MaxDelay = TimeSpan.FromMinutes(1) },
    }));

    public async Task DisposeAsync()
    {
        _model.Open();
        await _host.DisposeAsync();
    }

    public void Dispose() => _model.Dispose();

    private Task<HttpResponseMessage> PostAsync(float[] example, CancellationToken cancellation = default)
    {
        var data = string.Join(", ", example.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        var body = new StringContent($$"""{ "inputs": [ { "name": "input", "datatype": "FP32", "shape": [1, 12], "data": [{{data}}] } ] }""", Encoding.UTF8, "application/json");
        return _host.Http.PostAsync(Path, body, cancellation);
    }

    private async Task SendAsync(float[] example, bool grpc, CancellationToken cancellation)
    {
        if (!grpc)
        {
            using var response = await PostAsync(example, cancellation);
            return;
        }
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(_host.Grpc);
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 1, 12 }, Contents = new() { Fp32Contents = { example } } };
        await client.ModelInferAsync(new ModelInferRequest { ModelName = "mlp", Inputs = { input } }, cancellationToken: cancellation);
    }

    /// <summary>Waits up to ten seconds for <paramref name="condition"/>: the server handles requests and notices closed connections on its own threads.</summary>
    private static async Task Until(Func<bool> condition, string failure)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < until)
            await Task.Delay(10);
        Assert.True(condition(), failure);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_disconnects_leaves_its_forming_batch_at_once(bool grpc)
    {
        var (canceled, active) = (0L, 0L);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name is "pipelines.inference.cancellations" or "http.server.active_requests")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            Interlocked.Add(ref instrument.Name == "http.server.active_requests" ? ref active : ref canceled, value));
        listener.Start();

        // One request with the gate open, so the pipeline's check of the input layout (a forward pass of its own) is done.
        using (var first = await PostAsync(new float[12]))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await Until(() => Interlocked.Read(ref active) == 0, "the server never finished the first request");
        _model.Close();
        var blocker = PostAsync(new float[12]);
        Assert.True(_model.Entered.Wait(TimeSpan.FromSeconds(10)), "the gated request never reached the model");
        using (var leaving = new CancellationTokenSource())
        {
            var waiting = SendAsync(Tensor.Normal(new Key(1), ServingHost.Example).ToFloat32Array(), grpc, leaving.Token);
            // Once the server handles it (beside the gated one), reading its few bytes and handing it to the pipeline
            // takes moments; the model's slot is held, so it then waits in a batch that would wait a minute.
            await Until(() => Interlocked.Read(ref active) == 2, "the server never took the request");
            await Task.Delay(300);
            Assert.False(waiting.IsCompleted, "the request did not wait in a forming batch");
            Assert.Equal(0, Interlocked.Read(ref canceled));
            await leaving.CancelAsync();
            // HttpClient reports its own cancellation; a gRPC call reports it as the status Cancelled.
            var left = await Record.ExceptionAsync(() => waiting);
            Assert.True(left is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }, $"the call ended with {left?.GetType().Name ?? "an answer"}");
        }
        await Until(() => Interlocked.Read(ref canceled) == 1, "the canceled request stayed in its batch");

        _model.Open();
        using var answered = await blocker;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }
}
