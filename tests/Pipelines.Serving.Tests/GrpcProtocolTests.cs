using Google.Protobuf;
using Grpc.Core;
using Pipelines.Layers;
using Pipelines.Serving.Grpc;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Serving.Tests;

/// <summary>The protocol's gRPC service through a real Kestrel with the generated client: typed and raw contents, metadata, and failures as the protocol's status codes.</summary>
public sealed class GrpcProtocolTests : IAsyncLifetime
{
    private static readonly Layer Model = ServingHost.Model();
    private ServingHost _host = null!;
    private GRPCInferenceService.GRPCInferenceServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await ServingHost.StartAsync(services => services.AddInference("mlp", Model, new ServedModelOptions { InputShape = ServingHost.Example }));
        _client = new GRPCInferenceService.GRPCInferenceServiceClient(_host.Grpc);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static float[] Examples(int count) => [.. Enumerable.Range(0, count).SelectMany(i => Tensor.Normal(new Key(200).Fold((ulong)i), ServingHost.Example).ToFloat32Array())];

    private static int[] AloneBits(float[] examples) =>
        [.. examples.Chunk(12).SelectMany(x => Model.Forward(Tensor.FromArray(x, 1, 12)).ToFloat32Array()).Select(BitConverter.SingleToInt32Bits)];

    private static ModelInferRequest Request(float[] examples, bool raw)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { examples.Length / 12, 12 } };
        var request = new ModelInferRequest { ModelName = "mlp", Id = "7", Inputs = { input } };
        if (raw)
            request.RawInputContents.Add(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(examples.AsSpan())));
        else
            input.Contents = new InferTensorContents { Fp32Contents = { examples } };
        return request;
    }

    [Fact]
    public async Task Health_and_metadata_answer_as_the_protocol_says()
    {
        Assert.True((await _client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await _client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await _client.ModelReadyAsync(new ModelReadyRequest { Name = "mlp" })).Ready);
        Assert.False((await _client.ModelReadyAsync(new ModelReadyRequest { Name = "other" })).Ready);
        var metadata = await _client.ModelMetadataAsync(new ModelMetadataRequest { Name = "mlp" });
        Assert.Equal(("input", "FP32"), (metadata.Inputs[0].Name, metadata.Inputs[0].Datatype));
        Assert.Equal([-1L, 12L], metadata.Inputs[0].Shape);
        Assert.Equal([-1L, 4L], metadata.Outputs[0].Shape);
        Assert.Equal(["1"], metadata.Versions);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Typed_and_raw_contents_are_answered_bitwise_as_each_example_alone(bool raw)
    {
        var examples = Examples(3);
        var answer = await _client.ModelInferAsync(Request(examples, raw));
        Assert.Equal(("mlp", "1", "7"), (answer.ModelName, answer.ModelVersion, answer.Id));
        Assert.Equal([3L, 4L], answer.Outputs[0].Shape);
        var output = raw ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(answer.RawOutputContents[0].Span).ToArray() : [.. answer.Outputs[0].Contents.Fp32Contents];
        Assert.Equal(AloneBits(examples), output.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public async Task Failures_are_the_protocols_status_codes_with_the_same_messages_as_rest()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await _client.ModelInferAsync(new ModelInferRequest(Request(Examples(1), raw: false)) { ModelName = "other" }));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        var badShape = Request(Examples(1), raw: false);
        badShape.Inputs[0].Shape[1] = 13;
        var shape = await Assert.ThrowsAsync<RpcException>(async () => await _client.ModelInferAsync(badShape));
        Assert.Equal(StatusCode.InvalidArgument, shape.StatusCode);
        Assert.Contains("has shape [-1, 12] (a batch of examples), but the request gives [1, 13]", shape.Status.Detail, StringComparison.Ordinal);
        var both = Request(Examples(1), raw: true);
        both.Inputs[0].Contents = new InferTensorContents();
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await _client.ModelInferAsync(both))).StatusCode);
    }
}
