using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Orleans;

/// <summary>
/// Data-parallel training on an Orleans cluster, with the one-process trainer's options, reports, evaluation, early
/// stopping, checkpoints and result. This process coordinates: it plans the epochs from the run's key, sends each
/// step's micro-batches (their rows, never their examples) with the model version to the silos' workers, reduces their
/// gradients in global micro-batch order and takes the optimizer's step. So the trained model is bitwise the one
/// <see cref="Trainer{TModel}.Train"/> gives in one process with the same options and key, for any number of silos, any
/// assignment, and silos lost mid-run.
/// </summary>
/// <typeparam name="TModel">The model's type.</typeparam>
public sealed class ClusterTrainer<TModel>
    where TModel : Layer
{
    private readonly IGrainFactory _grains;
    private readonly Trainer<TModel> _trainer;

    /// <summary>A trainer for the cluster <paramref name="grains"/> reaches (a client, or a silo's own grain factory).</summary>
    /// <param name="grains">The cluster.</param>
    /// <param name="job">The job, registered under the same name on every silo.</param>
    /// <param name="optimizer">The optimizer (it runs here).</param>
    /// <param name="options">The one-process trainer's options, but for <see cref="TrainerOptions.Transform"/>, which is the job's; null for the defaults.</param>
    /// <param name="cluster">How micro-batches are spread over the silos; null for the defaults.</param>
    public ClusterTrainer(IGrainFactory grains, ClusterJob<TModel> job, GradientTransformation optimizer, TrainerOptions? options = null, ClusterTrainerOptions? cluster = null)
    {
        _grains = grains ?? throw new ArgumentNullException(nameof(grains));
        Job = job ?? throw new ArgumentNullException(nameof(job));
        if (options?.Transform is not null)
            throw new ArgumentException($"TrainerOptions.Transform: a cluster run transforms each example on the silo that reads it; give the transform to ClusterJob '{job.Name}' instead.", nameof(options));
        _trainer = new Trainer<TModel>(optimizer, job.Loss, options);
        Cluster = cluster ?? new ClusterTrainerOptions();
    }

    /// <summary>The job.</summary>
    public ClusterJob<TModel> Job { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options => _trainer.Options;

    /// <summary>How micro-batches are spread.</summary>
    public ClusterTrainerOptions Cluster { get; }

    /// <summary>
    /// Starts training <paramref name="model"/> from scratch on the job's data; the run's randomness all derives from
    /// <paramref name="key"/>. Returns once every living silo has checked the job, the model's structure and its data.
    /// </summary>
    /// <param name="model">The initial model.</param>
    /// <param name="key">The run's key.</param>
    /// <param name="cancellation">Stops the run within one step (the last checkpoint stays loadable).</param>
    public async Task<TrainingRun<TModel>> TrainAsync(TModel model, Key key, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return await StartAsync(_trainer.Fresh(model, key), cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Continues the run saved in <paramref name="checkpoint"/> where it stopped, on whichever silos are living now (any
    /// number); the final model equals the uninterrupted run's, bitwise.
    /// </summary>
    /// <param name="model">A model of the checkpoint's structure.</param>
    /// <param name="checkpoint">The checkpoint file.</param>
    /// <param name="cancellation">Stops the run within one step.</param>
    public async Task<TrainingRun<TModel>> ResumeAsync(TModel model, string checkpoint, CancellationToken cancellation = default) =>
        await StartAsync(TrainingCheckpoint.Load(checkpoint, model, _trainer.Optimizer), cancellation).ConfigureAwait(false);

    private async Task<TrainingRun<TModel>> StartAsync(TrainingCheckpoint<TModel> start, CancellationToken cancellation)
    {
        var key = new Key(start.Progress.Key);
        var claim = (Run: _grains.GetGrain<IClusterRun>(Cluster.RunId ?? $"{Job.Name}/{key}"), Coordinator: $"{Environment.MachineName} process {Environment.ProcessId} ({Guid.NewGuid():N})");
        await claim.Run.ClaimAsync(claim.Coordinator, Cluster.Lease).ConfigureAwait(false);
        try
        {
            var (gradients, count) = await ClusterGradients<TModel>.ConnectAsync(_grains, Job, Cluster, Options.Workers, start.Model, key, claim).ConfigureAwait(false);
            var run = _trainer.Start(start, new RowsElsewhere(count), gradients, cancellation);
            return new TrainingRun<TModel>(run.Reports, ReleasedAsync(run.Completion, claim), run.MaxExamplesInFlight);
        }
        catch
        {
            await claim.Run.ReleaseAsync(claim.Coordinator).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The run's outcome once its claim is given up, so a caller who awaited it may start the next run with the same id.</summary>
    private static async Task<TrainingResult<TModel>> ReleasedAsync(Task<TrainingResult<TModel>> completion, (IClusterRun Run, string Coordinator) claim)
    {
        try
        {
            return await completion.ConfigureAwait(false);
        }
        finally
        {
            // A release that cannot reach the claim's grain leaves it to lapse at the lease's end.
            await claim.Run.ReleaseAsync(claim.Coordinator).ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        }
    }
}
