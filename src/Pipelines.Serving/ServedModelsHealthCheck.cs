using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Pipelines.Serving;

/// <summary>Healthy while every served model's current version takes requests; the protocol's readiness and any health endpoint read it.</summary>
internal sealed class ServedModelsHealthCheck(InferenceModels models) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = models.Names.Where(n => models.Find(n) is not { IsServing: true }).ToList();
        return Task.FromResult(missing.Count == 0
            ? HealthCheckResult.Healthy($"Serving {string.Join(", ", models.Names.Select(n => $"{n} {models.Find(n)!.Version}"))}.")
            : HealthCheckResult.Unhealthy($"Not serving: {string.Join(", ", missing)}."));
    }
}
