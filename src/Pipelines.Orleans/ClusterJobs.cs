using System.Collections.Frozen;

namespace Pipelines.Orleans;

/// <summary>The jobs a silo can compute, by name: a singleton of the silo's services.</summary>
internal sealed class ClusterJobs(IEnumerable<ClusterJob> jobs)
{
    private readonly FrozenDictionary<string, ClusterJob> _jobs = jobs.ToFrozenDictionary(j => j.Name, StringComparer.Ordinal);

    public ClusterJob Get(string name, string silo) => _jobs.TryGetValue(name, out var job)
        ? job
        : throw new ArgumentException($"Silo {silo} has no training job '{name}' (it has {(_jobs.Count == 0 ? "none" : string.Join(", ", _jobs.Keys.Order().Select(k => $"'{k}'")))}); register it on every silo with siloBuilder.AddPipelinesTraining(job).");
}
