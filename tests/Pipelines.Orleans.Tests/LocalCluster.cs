using Orleans.TestingHost;

namespace Pipelines.Orleans.Tests;

/// <summary>An in-process Orleans cluster of <c>silos</c> silos, each registering its own instance of the test job (or the given jobs).</summary>
internal static class LocalCluster
{
    public static async Task<InProcessTestCluster> StartAsync(int silos, Func<ClusterJob[]>? jobs = null)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.AddPipelinesTraining(jobs?.Invoke() ?? [TestJob.Job()]));
        builder.ConfigureClient(client => client.AddPipelinesTraining());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
