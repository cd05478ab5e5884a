using System.Runtime.ExceptionServices;
using Pipelines.Autodiff;
using Pipelines.Diagnostics;
using Pipelines.Kernels;
using Pipelines.Kernels.Threading;
using Pipelines.Layers;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// A run's step: a batch's micro-batch gradients, computed side by side by up to <see cref="TrainerOptions.Workers"/>
/// threads and each put at its own index, then the fixed-order combine and the optimizer's step. Between steps it holds
/// the run's model and optimizer state, and says explicitly what the next step may reuse: the parameters and moments
/// its own steps made (never the model it was handed, nor one the caller keeps), which the optimizer may write over, and
/// each micro-batch's spent gradients, donated to the same micro-batch's pass in the next step.
/// </summary>
/// <typeparam name="TModel">The model's type.</typeparam>
internal sealed class TrainingStep<TModel>
    where TModel : Layer
{
    private readonly Trainer<TModel> _trainer;
    private readonly IRemoteGradients<TModel>? _remote;
    private DonatedArrays?[] _donated = [];

    /// <summary>Whether <see cref="Model"/>'s parameters and <see cref="State"/> were made by this step (not given by the caller), so the next may write over them.</summary>
    private bool _owned;

    /// <summary>A step that starts from <paramref name="model"/> and <paramref name="state"/>; its passes run on <paramref name="remote"/> when given.</summary>
    public TrainingStep(Trainer<TModel> trainer, TModel model, OptimizerState state, IRemoteGradients<TModel>? remote = null) =>
        (_trainer, Model, State, _remote) = (trainer, model, state, remote);

    /// <summary>The model after the last step (the given one before any).</summary>
    public TModel Model { get; private set; }

    /// <summary>The optimizer's state after the last step.</summary>
    public OptimizerState State { get; private set; }

    /// <summary>Lets the state observe an evaluated metric (the plateau schedule's input).</summary>
    public void Observe(double value, MonitorMode mode) => State = State.Observe(value, mode);

    /// <summary>
    /// Takes step <paramref name="step"/> (counted from 0) on <paramref name="batch"/> with the step's key;
    /// <paramref name="kept"/> is a model the caller holds on to (the best so far), whose tensors are never given up.
    /// Returns the step and the batch's targets (which a remote step brings back from where the data is).
    /// </summary>
    public async Task<(StepResult<TModel> Outcome, Tensor Targets)> TakeAsync(Batch batch, long step, Key key, TModel? kept)
    {
        var parts = _trainer.MicroBatches(batch);
        var (gradients, targets) = _remote is null ? (Gradients(parts, key), batch.Targets) : await _remote.ComputeAsync(Model, batch, parts, step, key).ConfigureAwait(false);
        // Checked before the optimizer runs: the guard replays the forward pass on the model as it was (here only: a remote batch's features are elsewhere).
        if (Trainer<TModel>.BatchLoss(parts, gradients) is var loss && !double.IsFinite(loss))
            throw new NonFiniteLossException(step + 1, loss, _remote is null ? NonFiniteGuard.Check(Model, batch.Features, y => _trainer.Loss(y, batch.Targets), ForwardContext.Training(key)) : null);
        var outcome = _trainer.Combine(State, parts, gradients, giveUp: _owned && !ReferenceEquals(kept, Model));
        // Remote gradients arrive in fresh arrays each step: nothing of theirs is worth donating.
        _donated = _remote is null ? Donate(gradients, outcome, batch, kept) : [];
        (Model, State, _owned) = (outcome.Model, outcome.State, true);
        return (outcome, targets);
    }

    /// <summary>
    /// Each micro-batch's gradient at its index, whichever thread computed it, so the reduction's order never depends
    /// on the worker count; the kernels inside a worker use the helper threads no worker holds. A failure is the
    /// lowest-indexed part's.
    /// </summary>
    private ValueAndGradient<TModel>[] Gradients(IReadOnlyList<MicroBatch> parts, Key key)
    {
        var gradients = new ValueAndGradient<TModel>[parts.Count];
        var failures = new Exception?[parts.Count];
        var workers = Math.Min(_trainer.Options.Workers, parts.Count);
        var next = -1;
        // The kernels' team runs the workers: its threads wait spinning between steps, where the thread pool's sleep.
        KernelThreads.Run(workers, _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < parts.Count; i = Interlocked.Increment(ref next))
            {
                try
                {
                    gradients[i] = _trainer.Gradient(Model, parts[i], Trainer<TModel>.PartKey(key, i, parts.Count), i < _donated.Length ? _donated[i] : null);
                }
                catch (Exception e)
                {
                    failures[i] = e;
                }
            }
        });
        if (Array.Find(failures, f => f is not null) is { } failure)
            ExceptionDispatchInfo.Throw(failure);
        return gradients;
    }

    /// <summary>
    /// The tensors of this step's micro-batch gradients, which nothing reads once the optimizer has stepped, donated per
    /// micro-batch; any array the new model, its state, the kept model, the output or the batch still use (an optimizer
    /// may keep a gradient as its state) is left alone, and an array shared by two parts goes to the first.
    /// </summary>
    private DonatedArrays[] Donate(ValueAndGradient<TModel>[] gradients, StepResult<TModel> outcome, Batch batch, TModel? kept)
    {
        var taken = new HashSet<Array>(ReferenceEqualityComparer.Instance);
        var used = outcome.Model.NamedParameters().Tensors.Concat(outcome.Model.NamedBuffers().Tensors)
            .Concat(OptimizerStates.ToTensors(outcome.State).Values)
            .Concat(kept?.NamedParameters().Tensors ?? []).Concat(kept?.NamedBuffers().Tensors ?? [])
            .Append(outcome.Output).Append(batch.Features).Append(batch.Targets);
        foreach (var tensor in used)
            taken.Add(tensor.Storage);
        return [.. gradients.Select(g => new DonatedArrays(g.Gradient.NamedParameters().Tensors.Where(t => taken.Add(t.Storage)).ToList(), _trainer.Options.PoisonDonations))];
    }
}
