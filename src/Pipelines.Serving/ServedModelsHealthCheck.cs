using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Pipelines.Serving;

/// <summary>
/// Healthy while every served model's current version takes requests, degraded while a watched file failed to load
/// (the last good version still serves); the protocol's readiness and any health endpoint read it.
/// </summary>
internal sealed class ServedModelsHealthCheck(InferenceModels models) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = models.Names.Where(n => models.Find(n) is not { IsServing: true }).ToList();
        if (missing.Count > 0)
            return Task.FromResult(HealthCheckResult.Unhealthy($"Not serving: {string.Join(", ", missing)}."));
        var serving = $"Serving {string.Join(", ", models.Names.Select(n => $"{n} {models.Find(n)!.Version}"))}.";
        var failures = models.Names.Select(models.WatchFailure).OfType<string>().ToList();
        // Still answering with the last good version: degraded, which readiness counts as ready.
        return Task.FromResult(failures.Count == 0 ? HealthCheckResult.Healthy(serving) : HealthCheckResult.Degraded($"{serving} {string.Join(" ", failures)}"));
    }
}
