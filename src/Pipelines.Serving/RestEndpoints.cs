using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Pipelines.Serving;

/// <summary>The protocol's REST endpoints under <c>/v2</c>: health, server and model metadata, model readiness and inference.</summary>
internal static class RestEndpoints
{
    /// <summary>The request header giving the whole request's deadline in milliseconds.</summary>
    public const string TimeoutHeader = "Request-Timeout-Ms";

    /// <summary>The binary tensor data extension's header: the JSON part's length in bytes.</summary>
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    /// <summary>The most a body's first buffer takes before its bytes arrive: a batch of a few hundred small examples.</summary>
    private const int FirstBodyBuffer = 1 << 20;

    public static void Map(IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2");
        v2.MapGet("/health/live", () => Results.Ok());
        v2.MapGet("/health/ready", async (HealthCheckService health, CancellationToken cancellation) =>
            (await health.CheckHealthAsync(cancellation).ConfigureAwait(false)).Status != HealthStatus.Unhealthy ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        v2.MapGet(string.Empty, () => Results.Json(new { name = ServerInfo.Name, version = ServerInfo.Version, extensions = ServerInfo.Extensions }));
        foreach (var prefix in new[] { "/models/{name}", "/models/{name}/versions/{version}" })
        {
            v2.MapGet(prefix, (InferenceModels models, string name, string? version) => Metadata(models, name, version));
            v2.MapGet(prefix + "/ready", (InferenceModels models, string name, string? version) => Resolve(models, name, version) is { Model.IsServing: true } ? Results.Ok() : Results.NotFound());
            v2.MapPost(prefix + "/infer", (HttpContext context, InferenceModels models, string name, string? version) => InferAsync(context, models, name, version));
        }
    }

    private static IResult Metadata(InferenceModels models, string name, string? version)
    {
        var (model, error) = Resolve(models, name, version);
        if (model is null)
            return Error(StatusCodes.Status404NotFound, error!);
        var options = model.Options;
        return Results.Json(new
        {
            name = model.Name,
            versions = new[] { model.Version },
            platform = ServerInfo.Platform,
            inputs = new[] { new { name = options.InputName, datatype = Datatypes.Name(options.InputType), shape = ServedModel.ProtocolShape(options.InputShape) } },
            outputs = new[] { new { name = options.OutputName, datatype = Datatypes.Name(model.OutputType), shape = ServedModel.ProtocolShape(model.OutputShape) } },
        });
    }

    private static async Task InferAsync(HttpContext context, InferenceModels models, string name, string? version)
    {
        var served = Resolve(models, name, version);
        if (served.Model is null)
        {
            await Error(StatusCodes.Status404NotFound, served.Error!).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        var model = models.Enter(name);
        if (model is null || (version is not null && model.Version != version))
        {
            model?.Leave();
            await Error(StatusCodes.Status404NotFound, $"Model '{name}' version {version} is no longer served (now {models.Find(name)?.Version}).").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        try
        {
            var result = await AnswerAsync(context, model).ConfigureAwait(false);
            await result.ExecuteAsync(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: its examples left their forming batches; there is no one to answer.
        }
        finally
        {
            model.Leave();
        }
    }

    private static async Task<IResult> AnswerAsync(HttpContext context, ServedModel model)
    {
        try
        {
            var deadline = Deadline(context.Request);
            var body = await ReadBodyAsync(context).ConfigureAwait(false);
            var headerLength = HeaderLength(context.Request, body.Length);
            var request = InferRequest.Read(body.AsMemory(0, headerLength), body.AsSpan(headerLength));
            var output = await ModelInference.RunAsync(model, request.Inputs, request.Outputs, deadline, context.RequestAborted).ConfigureAwait(false);
            var (answer, header) = InferResponse.Write(model, request.Id, output, request.BinaryOutput);
            if (!request.BinaryOutput)
                return Results.Bytes(answer, "application/json");
            context.Response.Headers[HeaderLengthHeader] = header.ToString(CultureInfo.InvariantCulture);
            return Results.Bytes(answer, "application/octet-stream");
        }
        catch (InferenceFaultException e)
        {
            if (e.Fault == InferenceFault.Unavailable)
                context.Response.Headers.RetryAfter = "1";
            return Error(e.Fault switch
            {
                InferenceFault.Unavailable => StatusCodes.Status503ServiceUnavailable,
                InferenceFault.Timeout => StatusCodes.Status504GatewayTimeout,
                _ => StatusCodes.Status400BadRequest,
            }, e.Message);
        }
        catch (BadHttpRequestException e)
        {
            // A body over the server's limit among them: the client's mistake, named with the limit Kestrel gives.
            return Error(StatusCodes.Status400BadRequest, $"The request body could not be read: {e.Message}");
        }
    }

    /// <summary>
    /// Reads the whole body into one array sized by the bytes that arrive. Kestrel enforces the body limit as the body is
    /// read, not when the headers come, so a buffer sized from the declared Content-Length alone would let one small
    /// request that claims gigabytes allocate them; the first allocation is capped and grows only as bytes arrive.
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        var declared = context.Request.ContentLength;
        var buffer = new byte[(int)Math.Min(declared ?? FirstBodyBuffer, FirstBodyBuffer)];
        var filled = 0;
        while (filled != declared)
        {
            if (filled == buffer.Length)
                Array.Resize(ref buffer, (int)Math.Min(Math.Min(2L * buffer.Length + 1, declared ?? long.MaxValue), Array.MaxLength));
            var read = await context.Request.Body.ReadAsync(buffer.AsMemory(filled), context.RequestAborted).ConfigureAwait(false);
            if (read == 0)
                break;
            filled += read;
        }
        return filled == buffer.Length ? buffer : buffer[..filled];
    }

    private static TimeSpan? Deadline(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(TimeoutHeader, out var value))
            return null;
        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds > 0 && double.IsFinite(milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : throw new InferenceFaultException(InferenceFault.BadRequest, $"The {TimeoutHeader} header must be a positive number of milliseconds, but it is '{value}'.");
    }

    private static int HeaderLength(HttpRequest request, int bodyLength)
    {
        if (!request.Headers.TryGetValue(HeaderLengthHeader, out var value))
            return bodyLength;
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length) && length <= bodyLength
            ? length
            : throw new InferenceFaultException(InferenceFault.BadRequest, $"The {HeaderLengthHeader} header must be the JSON part's length, at most the body's {bodyLength} bytes, but it is '{value}'.");
    }

    private static (ServedModel? Model, string? Error) Resolve(InferenceModels models, string name, string? version)
    {
        if (models.Find(name) is not { } model)
            return (null, $"No model named '{name}' is served (served: {string.Join(", ", models.Names)}).");
        if (version is not null && version != model.Version)
            return (null, $"Model '{name}' has no version '{version}'; it serves version {model.Version}.");
        return (model, null);
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
