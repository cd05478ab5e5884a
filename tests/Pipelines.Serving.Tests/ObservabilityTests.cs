using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace Pipelines.Serving.Tests;

/// <summary>What operators read: the Prometheus scrape of the pipelines' and ASP.NET Core's metrics, and readiness as the app's health checks.</summary>
public sealed class ObservabilityTests
{
    private static StringContent Body() => new(
        $$"""{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 12], "data": [{{string.Join(", ", Enumerable.Repeat("0.5", 12))}}]}]}""",
        Encoding.UTF8,
        "application/json");

    [Fact]
    public async Task Metrics_are_scraped_at_metrics_with_the_pipelines_and_the_servers_instruments()
    {
        await using var host = await ServingHost.StartAsync(services => services.AddInference("mlp", ServingHost.Model(), new ServedModelOptions { InputShape = ServingHost.Example }));
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await host.Http.PostAsync("/v2/models/mlp/infer", Body())).StatusCode);
        // The exporter caches a scrape briefly; the instruments appear once recorded.
        var scrape = string.Empty;
        for (var attempt = 0; attempt < 20 && !scrape.Contains("pipelines_inference_batch_size", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(100);
            scrape = await host.Http.GetStringAsync("/metrics");
        }
        Assert.Contains("pipelines_inference_batch_size", scrape, StringComparison.Ordinal);
        Assert.Contains("pipelines_inference_execution_milliseconds", scrape, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_is_the_apps_health_checks_over_rest_and_grpc()
    {
        var healthy = true;
        await using var host = await ServingHost.StartAsync(services =>
        {
            services.AddInference("mlp", ServingHost.Model(), new ServedModelOptions { InputShape = ServingHost.Example });
            services.AddHealthChecks().AddCheck("database", () => healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("down"));
        });
        var grpc = new Grpc.GRPCInferenceService.GRPCInferenceServiceClient(host.Grpc);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.True((await grpc.ServerReadyAsync(new Grpc.ServerReadyRequest())).Ready);
        healthy = false;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.Http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.False((await grpc.ServerReadyAsync(new Grpc.ServerReadyRequest())).Ready);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/v2/health/live")).StatusCode);
    }
}
