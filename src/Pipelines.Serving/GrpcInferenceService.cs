using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pipelines.Serving.Grpc;
using Pipelines.Tensors;

namespace Pipelines.Serving;

/// <summary>
/// The protocol's gRPC service over the same models as the REST endpoints: the call's deadline is the request's, its
/// cancellation (the client gone) takes its examples out of their forming batches, and a failure is the status the
/// protocol's clients expect.
/// </summary>
internal sealed class GrpcInferenceService(InferenceModels models, HealthCheckService health) : GRPCInferenceService.GRPCInferenceServiceBase
{
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override async Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        new() { Ready = (await health.CheckHealthAsync(context.CancellationToken).ConfigureAwait(false)).Status != HealthStatus.Unhealthy };

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelReadyResponse { Ready = models.Find(request.Name) is { IsServing: true } m && (request.Version.Length == 0 || request.Version == m.Version) });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = ServerInfo.Name, Version = ServerInfo.Version, Extensions = { ServerInfo.Extensions } });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var model = Resolve(request.Name, request.Version);
        var options = model.Options;
        return Task.FromResult(new ModelMetadataResponse
        {
            Name = model.Name,
            Versions = { model.Version },
            Platform = ServerInfo.Platform,
            Inputs = { new ModelMetadataResponse.Types.TensorMetadata { Name = options.InputName, Datatype = Datatypes.Name(options.InputType), Shape = { ServedModel.ProtocolShape(options.InputShape) } } },
            Outputs = { new ModelMetadataResponse.Types.TensorMetadata { Name = options.OutputName, Datatype = Datatypes.Name(model.OutputType), Shape = { ServedModel.ProtocolShape(model.OutputShape) } } },
        });
    }

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        Resolve(request.ModelName, request.ModelVersion);
        var model = models.Enter(request.ModelName) ?? throw Status(StatusCode.NotFound, $"No model named '{request.ModelName}' is served.");
        try
        {
            if (request.ModelVersion.Length > 0 && request.ModelVersion != model.Version)
                throw Status(StatusCode.NotFound, $"Model '{model.Name}' version {request.ModelVersion} is no longer served (now {model.Version}).");
            var deadline = context.Deadline == DateTime.MaxValue ? (TimeSpan?)null : context.Deadline - DateTime.UtcNow;
            if (deadline <= TimeSpan.Zero)
                throw Status(StatusCode.DeadlineExceeded, "The call's deadline had passed when it arrived.");
            var inputs = Inputs(request);
            var output = await ModelInference.RunAsync(model, inputs, [.. request.Outputs.Select(o => o.Name)], deadline, context.CancellationToken).ConfigureAwait(false);
            var answer = new ModelInferResponse { ModelName = model.Name, ModelVersion = model.Version, Id = request.Id };
            var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = model.Options.OutputName, Datatype = Datatypes.Name(output.DType), Shape = { output.Shape.Dims.ToArray().Select(d => (long)d) } };
            answer.Outputs.Add(tensor);
            // Answered in the form asked in: raw bytes for raw inputs, typed contents otherwise.
            if (request.RawInputContents.Count > 0)
                answer.RawOutputContents.Add(ByteString.CopyFrom(Datatypes.RawBytes(output)));
            else
                tensor.Contents = Contents(output);
            return answer;
        }
        catch (InferenceFaultException e)
        {
            throw Status(e.Fault switch
            {
                InferenceFault.Unavailable => StatusCode.ResourceExhausted,
                InferenceFault.Timeout => StatusCode.DeadlineExceeded,
                _ => StatusCode.InvalidArgument,
            }, e.Message);
        }
        finally
        {
            model.Leave();
        }
    }

    private ServedModel Resolve(string name, string version)
    {
        var model = models.Find(name) ?? throw Status(StatusCode.NotFound, $"No model named '{name}' is served (served: {string.Join(", ", models.Names)}).");
        return version.Length == 0 || version == model.Version ? model : throw Status(StatusCode.NotFound, $"Model '{name}' has no version '{version}'; it serves version {model.Version}.");
    }

    private static List<TensorInput> Inputs(ModelInferRequest request)
    {
        var raw = request.RawInputContents;
        if (raw.Count > 0 && raw.Count != request.Inputs.Count)
            throw Status(StatusCode.InvalidArgument, $"raw_input_contents has {raw.Count} entries for {request.Inputs.Count} inputs; it needs one per input.");
        if (raw.Count > 0 && request.Inputs.Any(i => i.Contents is not null))
            throw Status(StatusCode.InvalidArgument, "An input gives contents although the request gives raw_input_contents; use one or the other.");
        return [.. request.Inputs.Select((input, i) =>
        {
            var shape = input.Shape.ToArray();
            if (raw.Count > 0)
                return new TensorInput(input.Name, input.Datatype, shape, TensorInput.FromBytes(raw[i].Span, input.Datatype, input.Name));
            var contents = input.Contents ?? new InferTensorContents();
            Array elements = TensorInput.TypeOf(input.Datatype, input.Name) switch
            {
                DType.Float32 => contents.Fp32Contents.ToArray(),
                DType.Float64 => contents.Fp64Contents.ToArray(),
                _ => contents.Int64Contents.ToArray(),
            };
            return new TensorInput(input.Name, input.Datatype, shape, elements);
        })];
    }

    private static InferTensorContents Contents(Tensor output)
    {
        var contents = new InferTensorContents();
        switch (output.DType)
        {
            case DType.Float32:
                contents.Fp32Contents.AddRange(output.ToFloat32Array());
                break;
            case DType.Float64:
                contents.Fp64Contents.AddRange(output.ToFloat64Array());
                break;
            default:
                contents.Int64Contents.AddRange(output.ToInt64Array());
                break;
        }
        return contents;
    }

    private static RpcException Status(StatusCode code, string message) => new(new Status(code, message));
}
