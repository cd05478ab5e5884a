namespace Pipelines.Orleans;

/// <summary>A silo's gradient worker: one activation per silo, keyed by the silo's address, computing the passes of the micro-batches it is sent.</summary>
internal interface IGradientWorker : IGrainWithStringKey
{
    /// <summary>Checks the job and the model's structure on this silo; returns the silo's example count.</summary>
    Task<long> PrepareAsync(string job, TensorSet parameters, TensorSet buffers);

    /// <summary>The assigned micro-batches' passes.</summary>
    Task<PartResult[]> ComputeAsync(StepWork work);
}
