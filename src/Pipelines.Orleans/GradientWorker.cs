using Orleans.Placement;

namespace Pipelines.Orleans;

/// <summary>
/// The worker grain. Random placement honours the placement hint the coordinator sends with the first call, so each
/// silo's worker activates on that silo; the passes run on the thread pool (and the kernels' threads), off the grain's
/// scheduler.
/// </summary>
[RandomPlacement]
internal sealed class GradientWorker(ClusterJobs jobs, ILocalSiloDetails silo) : Grain, IGradientWorker
{
    private string Silo => silo.SiloAddress.ToString();

    public Task<long> PrepareAsync(string job, TensorSet parameters, TensorSet buffers) =>
        Task.Run(() => jobs.Get(job, Silo).Prepare(parameters, buffers, Silo));

    public Task<PartResult[]> ComputeAsync(StepWork work) =>
        Task.Run(() => jobs.Get(work.Job, Silo).Compute(work, Silo));
}
