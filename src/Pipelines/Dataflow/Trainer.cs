using System.Collections.Immutable;
using Pipelines.Autodiff;
using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// Trains a model through a TPL Dataflow graph: a planner of batches (a per-epoch order from the run's key), loaders
/// that read and transform them, gradient workers that run a step's micro-batches in parallel on the same model
/// version, a fixed-order reduction, and the optimizer's step, with evaluation, early stopping, checkpoints and
/// reports around it. The same steps are available one at a time through <see cref="Step"/>, and the graph gives
/// bitwise what a plain loop over them gives, for any number of workers.
/// Inside a run the graph owns the tensors its steps make and reuses their memory: Adam's step is written over the
/// parameters and moments of the step before (never over the model it was given, the best model it keeps or the one it
/// returns), and each micro-batch's weight gradients go into the arrays of its spent gradients of the step before. So a
/// custom layer must not keep the gradients its backward pass returns: reading one after its step throws.
/// </summary>
/// <typeparam name="TModel">The model's type; results come back typed as it.</typeparam>
public sealed class Trainer<TModel>
    where TModel : Layer
{
    private readonly Func<Tensor, Tensor, LossValue> _loss;

    /// <summary>A trainer for one optimizer, loss and set of options.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="loss">The loss of the model's outputs against the batch's targets (reducing by the mean).</param>
    /// <param name="options">The options; null for the defaults.</param>
    /// <param name="reduction">How micro-batch gradients become one; null for the in-process fixed-order sum.</param>
    public Trainer(GradientTransformation optimizer, Func<Tensor, Tensor, LossValue> loss, TrainerOptions? options = null, IGradientReduction? reduction = null)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Options = options ?? new TrainerOptions();
        Options.Validate();
        Reduction = reduction ?? InProcessReduction.Instance;
        LossMetric = Metric.Loss(loss);
        AllMetrics = [LossMetric, .. Options.Metrics];
        if (AllMetrics.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"TrainerOptions.Metrics: metric names must differ (and 'loss' is the trainer's own), but '{twice.Key}' is given {twice.Count()} times.", nameof(options));
        foreach (var (option, monitor) in new[] { ("EarlyStopping.Monitor", Options.EarlyStopping?.Monitor), ("Checkpoints.Monitor", Options.Checkpoints?.Monitor), (nameof(TrainerOptions.PlateauMonitor), Options.PlateauMonitor) })
        {
            if (monitor is not null && !AllMetrics.Any(m => m.Name == monitor))
                throw new ArgumentException($"TrainerOptions.{option} is '{monitor}', which is not among the evaluated metrics ({string.Join(", ", AllMetrics.Select(m => m.Name))}); add it to TrainerOptions.Metrics.", nameof(options));
        }
    }

    /// <summary>The optimizer.</summary>
    public GradientTransformation Optimizer { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>How micro-batch gradients become one.</summary>
    public IGradientReduction Reduction { get; }

    /// <summary>The loss of outputs against targets.</summary>
    internal LossValue Loss(Tensor outputs, Tensor targets) => _loss(outputs, targets);

    /// <summary>The loss as a metric (<c>loss</c>), always reported.</summary>
    internal Metric LossMetric { get; }

    /// <summary>Starts training <paramref name="model"/> from scratch on <paramref name="data"/>; the run's randomness all derives from <paramref name="key"/>.</summary>
    /// <param name="model">The initial model.</param>
    /// <param name="data">The training data.</param>
    /// <param name="key">The run's key.</param>
    /// <param name="cancellation">Stops the run within one step (the last checkpoint stays loadable).</param>
    public TrainingRun<TModel> Train(TModel model, DataSource data, Key key, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Start(Fresh(model, key), data, remote: null, cancellation);
    }

    /// <summary>
    /// Continues the run saved in <paramref name="checkpoint"/> where it stopped (mid-epoch included, with any number of
    /// workers); the final model equals the uninterrupted run's, bitwise.
    /// </summary>
    /// <param name="model">A model of the checkpoint's structure.</param>
    /// <param name="checkpoint">The checkpoint file.</param>
    /// <param name="data">The same training data.</param>
    /// <param name="cancellation">Stops the run within one step.</param>
    public TrainingRun<TModel> Resume(TModel model, string checkpoint, DataSource data, CancellationToken cancellation = default) =>
        Start(TrainingCheckpoint.Load(checkpoint, model, Optimizer), data, remote: null, cancellation);

    /// <summary>A run's start before its first step: the model, the optimizer's first state, position zero.</summary>
    internal TrainingCheckpoint<TModel> Fresh(TModel model, Key key) =>
        new(model, Optimizer.Init(model), null, new TrainingProgress(0, 0, 0, key.Bits64, [], null));

    /// <summary>The run's graph from <paramref name="start"/>, its passes computed here or, given <paramref name="remote"/>, where the data is.</summary>
    internal TrainingRun<TModel> Start(TrainingCheckpoint<TModel> start, DataSource data, IRemoteGradients<TModel>? remote, CancellationToken cancellation) =>
        new TrainingGraph<TModel>(this, data, start, remote, cancellation).Start();

    /// <summary>
    /// One step, as the graph takes it, on the calling thread: the batch's micro-batches' gradients in order, reduced in
    /// order, then the optimizer's step. With one micro-batch it is exactly <c>ValueAndGrad</c> then <c>optimizer.Step</c>.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="state">The optimizer's state.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="key">The step's key (<see cref="RunKeys.Step"/>).</param>
    public StepResult<TModel> Step(TModel model, OptimizerState state, Batch batch, Key key)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var parts = MicroBatches(batch);
        return Combine(state, parts, [.. parts.Select((part, i) => Gradient(model, part, PartKey(key, i, parts.Count), donated: null))]);
    }

    /// <summary>The loss and every metric of the options over <paramref name="data"/>, in evaluation mode, in the data's order.</summary>
    /// <param name="model">The model.</param>
    /// <param name="data">The data.</param>
    /// <param name="cancellation">Stops the evaluation.</param>
    public Task<ImmutableSortedDictionary<string, double>> EvaluateAsync(TModel model, DataSource data, CancellationToken cancellation = default) =>
        Evaluation.EvaluateAsync(model, data, AllMetrics, Options.BatchSize, cancellation);

    /// <summary>Which way the evaluated metric named <paramref name="name"/> improves (the constructor checked it is one).</summary>
    internal MonitorMode ModeOf(string name) => AllMetrics.First(m => m.Name == name).Mode;

    /// <summary>The loss, then the options' metrics.</summary>
    internal IReadOnlyList<Metric> AllMetrics { get; }

    /// <summary>The batch split into <see cref="TrainerOptions.MicroBatches"/> parts of (nearly) equal size, in order.</summary>
    internal IReadOnlyList<MicroBatch> MicroBatches(Batch batch)
    {
        var (count, parts) = (batch.Count, Math.Min(Options.MicroBatches, Math.Max(1, batch.Count)));
        if (parts == 1)
            return [new MicroBatch(batch.Features, batch.Targets, 1.0, batch.Indices)];
        return [.. Enumerable.Range(0, parts).Select(i =>
        {
            var (start, end) = ((int)((long)count * i / parts), (int)((long)count * (i + 1) / parts));
            return new MicroBatch(batch.Features.Narrow(0, start, end - start), batch.Targets.Narrow(0, start, end - start), (double)(end - start) / count, batch.Indices?.Skip(start).Take(end - start).ToArray());
        })];
    }

    /// <summary>The key of micro-batch <paramref name="part"/>: the step's key itself when there is one part.</summary>
    internal static Key PartKey(Key step, int part, int parts) => parts == 1 ? step : step.Fold((ulong)part);

    /// <summary>One micro-batch's loss and gradient, its weight gradients written into <paramref name="donated"/>'s arrays where they fit.</summary>
    internal ValueAndGradient<TModel> Gradient(TModel model, MicroBatch part, Key key, DonatedArrays? donated) => Gradient(_loss, model, part, key, donated);

    /// <summary>One micro-batch's loss and gradient under <paramref name="loss"/>: what a step's pass is, wherever it runs.</summary>
    internal static ValueAndGradient<TModel> Gradient(Func<Tensor, Tensor, LossValue> loss, TModel model, MicroBatch part, Key key, DonatedArrays? donated)
    {
        try
        {
            return Gradients.ValueAndGrad(model, part.Features, y => loss(y, part.Targets), ForwardContext.Training(key) with { Donated = donated });
        }
        catch (ClassTargetException e) when (part.Indices is { } indices && part.Targets.Rank > 0)
        {
            // The loss knows the target's place in the micro-batch; the data's user knows examples by their index.
            var example = indices[e.Position / Math.Max(1, part.Targets.Count / part.Targets.Shape[0])];
            throw new ArgumentException($"{e.Loss}: example {example} of the training data has target class {e.TargetClass}, outside [0, {e.Classes}) and not the ignored index {e.IgnoreIndex}.", e);
        }
    }

    /// <summary>
    /// The step from the micro-batches' gradients: reduced in order, the optimizer applied to the first part's model (its
    /// buffers carry on). With <paramref name="giveUp"/> the caller hands over the model's parameters and the state, and
    /// the optimizer may write the step over them.
    /// </summary>
    internal StepResult<TModel> Combine(OptimizerState state, IReadOnlyList<MicroBatch> parts, IReadOnlyList<ValueAndGradient<TModel>> gradients, bool giveUp = false)
    {
        var first = gradients[0];
        if (gradients.Count == 1)
        {
            var (model, next) = Optimizer.Step(first.Model, first.Gradient, state, giveUp);
            return new StepResult<TModel>(model, next, first.Value, first.Output);
        }
        var reduced = Reduction.Reduce([.. gradients.Select(g => g.Gradient.NamedParameters())], [.. parts.Select(p => p.Weight)]);
        var (stepped, nextState) = Optimizer.Step(first.Model, first.Gradient.MapParameters((name, _) => reduced[name]), state, giveUp);
        return new StepResult<TModel>(stepped, nextState, BatchLoss(parts, gradients), Tensor.Concat([.. gradients.Select(g => g.Output)], 0));
    }

    /// <summary>The batch's loss: the micro-batches' losses weighted by their shares (the one loss itself when there is one part).</summary>
    internal static double BatchLoss(IReadOnlyList<MicroBatch> parts, IReadOnlyList<ValueAndGradient<TModel>> gradients)
    {
        if (gradients.Count == 1)
            return gradients[0].Value;
        var loss = 0.0;
        for (var i = 0; i < gradients.Count; i++)
            loss += parts[i].Weight * gradients[i].Value;
        return loss;
    }
}
