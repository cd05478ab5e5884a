using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Pipelines.Layers;

namespace Pipelines.Serving;

/// <summary>Registration of served models and the protocol's endpoints, in ASP.NET Core's usual two calls.</summary>
public static class InferenceServingExtensions
{
    /// <summary>
    /// Serves <paramref name="model"/> as <paramref name="name"/>, with its own batching pipeline; call once per model.
    /// The model is checked now, on one example of <see cref="ServedModelOptions.InputShape"/>.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="name">The model's name in URLs and calls.</param>
    /// <param name="model">The model (served in evaluation mode).</param>
    /// <param name="options">Its input, names, version and batching.</param>
    public static IServiceCollection AddInference(this IServiceCollection services, string name, Layer model, ServedModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        var models = Models(services);
        models.Add(name, model, options);
        return services;
    }

    /// <summary>
    /// Maps the Open Inference Protocol (its REST endpoints under <c>/v2</c> and its gRPC service) and <c>/metrics</c>,
    /// the Prometheus scrape of the pipelines' and ASP.NET Core's metrics. Readiness (<c>/v2/health/ready</c>) is the
    /// app's health checks, the served models' among them.
    /// </summary>
    /// <param name="app">The app.</param>
    public static IEndpointRouteBuilder MapInference(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        RestEndpoints.Map(app);
        app.MapGrpcService<GrpcInferenceService>();
        app.MapPrometheusScrapingEndpoint();
        return app;
    }

    private static InferenceModels Models(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(Registration))?.ImplementationInstance is Registration existing)
            return existing.Models;
        var registration = new Registration(new InferenceModels());
        services.AddSingleton(registration);
        // Made by a factory, so the container disposes it when the host stops: after the server has answered what it took.
        services.AddSingleton(_ => registration.Models);
        services.AddSingleton<IInferenceModels>(provider => provider.GetRequiredService<InferenceModels>());
        services.AddGrpc();
        services.AddHealthChecks().AddCheck<ServedModelsHealthCheck>("pipelines-models");
        // The pipelines' meter and ASP.NET Core's own, for a Prometheus scrape of /metrics; an app's own OpenTelemetry
        // setup adds to this one.
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("Pipelines.Inference", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        return registration.Models;
    }

    /// <summary>The one registry of an app's served models, found again by later <see cref="AddInference"/> calls.</summary>
    private sealed record Registration(InferenceModels Models);
}
