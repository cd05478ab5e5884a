using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Serving.Tests;

/// <summary>A real Kestrel on 127.0.0.1 serving models as a user's app does (AddInference, MapInference): HTTP/1.1 for REST, HTTP/2 for gRPC.</summary>
public sealed class ServingHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServingHost(WebApplication app, Uri rest, Uri grpc)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = rest };
        Grpc = GrpcChannel.ForAddress(grpc);
    }

    public static readonly Shape Example = new(12);

    public static Layer Model(ulong seed = 3) => new Linear(new Key(seed), 12, 24) >> new GELU() >> new Linear(new Key(seed + 1), 24, 4);

    public HttpClient Http { get; }

    public GrpcChannel Grpc { get; }

    public IInferenceModels Models => _app.Services.GetRequiredService<IInferenceModels>();

    public IServiceProvider Services => _app.Services;

    /// <param name="models">The app's registrations.</param>
    /// <param name="maxRequestBodySize">Kestrel's body limit, when a test needs a small one.</param>
    /// <param name="middleware">Runs before the inference endpoints, for a test that watches requests arrive.</param>
    public static async Task<ServingHost> StartAsync(Action<IServiceCollection> models, long? maxRequestBodySize = null, Action<WebApplication>? middleware = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (maxRequestBodySize is { } limit)
                kestrel.Limits.MaxRequestBodySize = limit;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });
        models(builder.Services);
        var app = builder.Build();
        middleware?.Invoke(app);
        app.MapInference();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        return new ServingHost(app, addresses[0], addresses[1]);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Grpc.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
