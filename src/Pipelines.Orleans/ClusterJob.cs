using System.Runtime.ExceptionServices;
using Pipelines.Dataflow;
using Pipelines.Kernels.Threading;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Orleans;

/// <summary>
/// What every silo needs to compute a cluster run's passes, registered under one name on each of them
/// (<see cref="PipelinesTrainingExtensions.AddPipelinesTraining(ISiloBuilder, ClusterJob[])"/>) and given to the <see cref="ClusterTrainer{TModel}"/>:
/// the architecture, where the silo reads the data, the loss, and the per-example transform. As with PyTorch's
/// DistributedDataParallel, the same program defines it everywhere; only the model's values travel.
/// </summary>
public abstract class ClusterJob
{
    private protected ClusterJob(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The name silos know the job by.</summary>
    public string Name { get; }

    /// <summary>Checks a model version's structure against this silo's architecture; returns the data's example count.</summary>
    internal abstract long Prepare(TensorSet parameters, TensorSet buffers, string silo);

    /// <summary>The assigned micro-batches' passes, in index order.</summary>
    internal abstract PartResult[] Compute(StepWork work, string silo);
}

/// <summary>A <see cref="ClusterJob"/> for models of type <typeparamref name="TModel"/>.</summary>
/// <typeparam name="TModel">The model's type.</typeparam>
public sealed class ClusterJob<TModel> : ClusterJob
    where TModel : Layer
{
    private readonly Lazy<TModel> _architecture;
    private readonly Lazy<DataSource> _data;

    /// <summary>A job named <paramref name="name"/>.</summary>
    /// <param name="name">The name silos know the job by.</param>
    /// <param name="architecture">Makes a model of the run's architecture (its values do not matter: each step's arrive from the coordinator); called once per silo.</param>
    /// <param name="data">Opens the training data where the silo reads it (an in-memory source, the same examples in the same order on every silo); called once per silo.</param>
    /// <param name="loss">The loss of the model's outputs against the batch's targets, as the one-process trainer takes it.</param>
    /// <param name="transform">The per-example transform (<c>TrainerOptions.Transform</c> in one process), run where the examples are read; null for none.</param>
    public ClusterJob(string name, Func<TModel> architecture, Func<DataSource> data, Func<Tensor, Tensor, LossValue> loss, Func<Example, Key, Example>? transform = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(data);
        Loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Transform = transform;
        _architecture = new Lazy<TModel>(architecture);
        _data = new Lazy<DataSource>(data);
    }

    /// <summary>The loss.</summary>
    public Func<Tensor, Tensor, LossValue> Loss { get; }

    /// <summary>The per-example transform, or null.</summary>
    public Func<Example, Key, Example>? Transform { get; }

    internal override long Prepare(TensorSet parameters, TensorSet buffers, string silo)
    {
        _ = Version(parameters, buffers, silo);
        return _data.Value.Count ?? throw new NotSupportedException(
            $"ClusterJob '{Name}' on silo {silo}: its data is a stream, but a cluster run reads examples by row (DataSource.FromTensors or FromCsv), so that every silo can read any micro-batch.");
    }

    internal override PartResult[] Compute(StepWork work, string silo)
    {
        var model = Version(work.Parameters, work.Buffers, silo);
        var (data, transformKey, stepKey) = (_data.Value, RunKeys.Transform(new Key(work.RunKey)), new Key(work.StepKey));
        var results = new PartResult[work.Assigned.Length];
        var failures = new Exception?[work.Assigned.Length];
        var next = -1;
        KernelThreads.Run(Math.Min(work.Workers, work.Assigned.Length), _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < results.Length; i = Interlocked.Increment(ref next))
            {
                try
                {
                    var assigned = work.Assigned[i];
                    var batch = data.Load(new BatchPlan(work.Epoch, 0, false, assigned.Rows, null), Transform, transformKey);
                    var part = new MicroBatch(batch.Features, batch.Targets, assigned.Weight, batch.Indices);
                    var pass = Trainer<TModel>.Gradient(Loss, model, part, Trainer<TModel>.PartKey(stepKey, assigned.Index, work.Parts), donated: null);
                    results[i] = new PartResult(assigned.Index, pass.Value, TensorSet.Of(pass.Gradient.NamedParameters()), pass.Output, batch.Targets,
                        assigned.Index == 0 ? TensorSet.Of(pass.Model.NamedBuffers()) : null);
                }
                catch (Exception e)
                {
                    failures[i] = e;
                }
            }
        });
        // As in one process: the failure is the lowest-indexed micro-batch's, rethrown as it was thrown.
        if (Array.Find(failures, f => f is not null) is { } failure)
            ExceptionDispatchInfo.Throw(failure);
        return results;
    }

    /// <summary>This silo's architecture holding the coordinator's values; a structure that differs is named, entry by entry.</summary>
    private TModel Version(TensorSet parameters, TensorSet buffers, string silo)
    {
        var architecture = _architecture.Value;
        var (given, givenBuffers) = (parameters.ToNamedTensors(), buffers.ToNamedTensors());
        var difference = given.StructureDifference(architecture.NamedParameters()) is { } p ? $"parameters: {p}"
            : givenBuffers.StructureDifference(architecture.NamedBuffers()) is { } b ? $"buffers: {b}"
            : null;
        if (difference is not null)
            throw new ArgumentException($"ClusterJob '{Name}': the coordinator's model and the architecture silo {silo} builds differ in their {difference} (the first is the coordinator's, the second the silo's). Every silo and the coordinator must build the same architecture.");
        return (TModel)architecture.MapParameters((name, _) => given[name]).MapBuffers((name, _) => givenBuffers[name]);
    }
}
