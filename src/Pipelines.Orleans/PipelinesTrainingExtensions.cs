using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Pipelines.Orleans;

/// <summary>Registers cluster training on the silos, and on a client that coordinates runs.</summary>
public static class PipelinesTrainingExtensions
{
    /// <summary>
    /// Lets this client coordinate cluster runs: a worker's exception (bad data, a layer that throws) reaches it as the
    /// exception it was, as in one process. A silo that coordinates needs nothing beyond
    /// <see cref="AddPipelinesTraining(ISiloBuilder, ClusterJob[])"/>.
    /// </summary>
    /// <param name="client">The client's builder.</param>
    public static IClientBuilder AddPipelinesTraining(this IClientBuilder client)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.Services.Configure<ExceptionSerializationOptions>(CarryPipelinesExceptions);
        return client;
    }

    /// <summary>Makes this silo a gradient worker for <paramref name="jobs"/> (call it once, with every job, on every silo).</summary>
    /// <param name="silo">The silo's builder.</param>
    /// <param name="jobs">The jobs this silo can compute.</param>
    public static ISiloBuilder AddPipelinesTraining(this ISiloBuilder silo, params ClusterJob[] jobs)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.GroupBy(j => j.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"AddPipelinesTraining: job names must differ, but '{twice.Key}' is given {twice.Count()} times.", nameof(jobs));
        silo.Services.AddSingleton(new ClusterJobs(jobs));
        silo.Services.Configure<ExceptionSerializationOptions>(CarryPipelinesExceptions);
        return silo;
    }

    /// <summary>Orleans carries exceptions of the namespaces it is told of (by default its own and the framework's) with their types.</summary>
    private static void CarryPipelinesExceptions(ExceptionSerializationOptions options) => options.SupportedNamespacePrefixes.Add("Pipelines");
}
