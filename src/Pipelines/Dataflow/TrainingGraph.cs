using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Dataflow;
using Pipelines.Diagnostics;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// One run's dataflow graph: a producer sends batch plans into a bounded <see cref="BufferBlock{T}"/>; a
/// <see cref="TransformBlock{TInput, TOutput}"/> of loaders turns them into batches, in order; an
/// <see cref="ActionBlock{TInput}"/> takes the steps one at a time (<see cref="TrainingStep{TModel}"/>, which computes a
/// step's micro-batch gradients side by side). Every block is bounded, so the data cannot run ahead of training by more
/// than <see cref="MaxExamplesInFlight"/>. The step block owns the run's state (model, optimizer state, position): local
/// mutation inside the graph, values outside it. Around the step: the epoch's metrics (<see cref="EpochMetrics"/>), the
/// evaluations and what follows from them (<see cref="TrainingMonitor{TModel}"/>), and the reports (<see cref="ReportStream"/>).
/// </summary>
internal sealed class TrainingGraph<TModel>
    where TModel : Layer
{
    private static readonly DataflowLinkOptions Propagate = new() { PropagateCompletion = true };

    private readonly Trainer<TModel> _trainer;
    private readonly TrainerOptions _options;
    private readonly DataSource _data;
    private readonly CancellationToken _cancellation;
    private readonly Key _key;
    private readonly Stopwatch _clock = new();
    private readonly ReportStream _reports = new();
    private readonly TrainingStep<TModel> _steps;
    private readonly TrainingMonitor<TModel> _monitor;
    private readonly long _firstStep;
    private EpochMetrics _epochMetrics;
    private (long Step, int Epoch, long Position, long Examples) _at;
    private string? _stopReason;
    private bool _canceled;

    public TrainingGraph(Trainer<TModel> trainer, DataSource data, TrainingCheckpoint<TModel> start, IRemoteGradients<TModel>? remote, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(data);
        (_trainer, _options, _data, _cancellation) = (trainer, trainer.Options, data, cancellation);
        _key = new Key(start.Progress.Key);
        _steps = new TrainingStep<TModel>(trainer, start.Model, start.State, remote);
        _monitor = new TrainingMonitor<TModel>(trainer, start);
        _at = (start.Progress.Step, start.Progress.Epoch, start.Progress.Position, 0);
        _firstStep = _at.Step;
        _epochMetrics = EpochMetrics.Start(trainer.LossMetric, trainer.AllMetrics.Skip(1));
        if (data.Count == 0)
            throw new ArgumentException("The training data source has no examples.", nameof(data));
        if (_options.DropLast && data.Count < _options.BatchSize)
            throw new ArgumentException($"TrainerOptions.DropLast with BatchSize {_options.BatchSize} drops every example of a data source of {data.Count}: no step could be taken. Lower BatchSize or turn DropLast off.", nameof(data));
    }

    /// <summary>Examples held at most: plans waiting, batches loading, the step's queue (one) and the step; for streams, the shuffle buffer and the planner's two batches too.</summary>
    private int MaxExamplesInFlight => ((_options.Prefetch + _options.Loaders + 3) * _options.BatchSize)
        + (_data.Count is null ? (_options.Shuffle ? _options.ShuffleBuffer : 0) + (2 * _options.BatchSize) : 0);

    public TrainingRun<TModel> Start() => new(_reports.Reports, RunAsync(), MaxExamplesInFlight);

    /// <summary>The graph: planner → loaders → step, every block bounded; a failure anywhere stops the rest and is the run's.</summary>
    private async Task<TrainingResult<TModel>> RunAsync()
    {
        await Task.Yield();
        _clock.Start();
        using var graph = CancellationTokenSource.CreateLinkedTokenSource(_cancellation);
        using var producing = CancellationTokenSource.CreateLinkedTokenSource(graph.Token);
        var planner = new BufferBlock<BatchPlan>(new DataflowBlockOptions { BoundedCapacity = _options.Prefetch, CancellationToken = graph.Token });
        var loaders = LoadedBatch.Loaders(_data, _options, RunKeys.Transform(_key), graph.Token);
        // No cancellation token: a step in flight when the run is canceled finishes its micro-batches, and the next stops.
        // Room for the next batch beside the one in its step, so the block moves on without being rescheduled.
        var stepper = new ActionBlock<LoadedBatch>(loaded => StepAsync(loaded.Take(), producing), new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 1, BoundedCapacity = 2 });
        planner.LinkTo(loaders, Propagate);
        loaders.LinkTo(stepper, Propagate);
        var producer = ProduceAsync(planner, producing.Token);
        try
        {
            await stepper.Completion.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The step block failed (or a fault reached it from the data): stop everything upstream, report the cause.
            graph.Cancel();
            _reports.End();
            await Quietly(producer).ConfigureAwait(false);
            ExceptionDispatchInfo.Capture(Original(e)).Throw();
            throw;
        }
        await producer.ConfigureAwait(false);
        return Finish();
    }

    /// <summary>Sends the plans of every remaining epoch, from the resumed position; completes (or faults) the planner when done.</summary>
    private async Task ProduceAsync(BufferBlock<BatchPlan> planner, CancellationToken stop)
    {
        try
        {
            var shuffleKey = _options.Shuffle ? RunKeys.Shuffle(_key) : (Key?)null;
            for (var epoch = _at.Epoch; epoch < _options.Epochs && !stop.IsCancellationRequested; epoch++)
            {
                var request = new PlanRequest(epoch, epoch == _at.Epoch ? _at.Position : 0, _options.BatchSize, _options.DropLast, shuffleKey, _options.ShuffleBuffer);
                var planned = 0;
                await foreach (var plan in _data.Plan(request, stop).ConfigureAwait(false))
                {
                    if (!await planner.SendAsync(plan, stop).ConfigureAwait(false))
                        return;
                    planned++;
                }
                // A stream's length is known only once read: one that gives no batch would end the run with no step taken.
                if (planned == 0 && request.Skip == 0 && !stop.IsCancellationRequested)
                    throw new InvalidOperationException(_options.DropLast
                        ? $"Epoch {epoch} of the training data gave no full batch of {_options.BatchSize} examples (TrainerOptions.DropLast drops the partial one)."
                        : $"Epoch {epoch} of the training data gave no examples.");
            }
            planner.Complete();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            planner.Complete();
        }
        catch (Exception e)
        {
            ((IDataflowBlock)planner).Fault(e);
        }
    }

    /// <summary>One step on one batch, then whatever the step's end calls for: epoch reports, evaluation, stopping, checkpoints.</summary>
    private async Task StepAsync(Batch batch, CancellationTokenSource producing)
    {
        if (_options.MaxSteps is { } limit && _at.Step >= limit)
            _stopReason ??= $"the step limit ({limit})";
        _canceled |= _stopReason is null && _cancellation.IsCancellationRequested;
        if (_stopReason is not null || _canceled)
        {
            producing.Cancel();
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var (outcome, targets) = await _steps.TakeAsync(batch, _at.Step, RunKeys.Step(_key, _at.Step), kept: _monitor.Best).ConfigureAwait(false);
        var (epoch, position) = batch.IsLastOfEpoch ? (batch.Epoch + 1, 0L) : (batch.Epoch, batch.Position + batch.Count);
        _at = (_at.Step + 1, epoch, position, _at.Examples + batch.Count);
        _epochMetrics = _epochMetrics.Add(outcome.Loss, batch.Count, outcome.Output, targets);
        TrainingMeters.Record(Stopwatch.GetElapsedTime(started), batch.Count, outcome.Loss);
        _reports.Add(new StepReport(_at.Step, batch.Epoch, _clock.Elapsed, outcome.Loss, batch.Count, _at.Examples / _clock.Elapsed.TotalSeconds, _trainer.Optimizer.LearningRate?.Invoke(_at.Step - 1)));
        if (batch.IsLastOfEpoch)
        {
            _reports.Add(new EpochReport(_at.Step, batch.Epoch, _clock.Elapsed, _epochMetrics.Values));
            _epochMetrics = _epochMetrics.Restart();
        }
        if (_options.Validation is not null && (_options.ValidateEverySteps is { } every ? _at.Step % every == 0 : batch.IsLastOfEpoch))
            await EvaluateAsync(batch.Epoch).ConfigureAwait(false);
        if (_options.Checkpoints is { EverySteps: > 0 } policy && _at.Step % policy.EverySteps == 0)
            WriteCheckpoint(policy.LastPath);
        if (_options.MaxSteps is { } maxSteps && _at.Step >= maxSteps)
            _stopReason ??= $"the step limit ({maxSteps})";
        if (_options.MaxTime is { } maxTime && _clock.Elapsed >= maxTime)
            _stopReason ??= $"the time limit ({maxTime})";
        if (_stopReason is not null)
            producing.Cancel();
    }

    /// <summary>An evaluation and what the monitor makes of it: a report, maybe a reason to stop, the best checkpoints kept.</summary>
    private async Task EvaluateAsync(int epoch)
    {
        var (report, stopReason, keepBest) = await _monitor.EvaluateAsync(_steps, _at.Step, epoch, _clock.Elapsed, _cancellation).ConfigureAwait(false);
        _reports.Add(report);
        _stopReason ??= stopReason;
        if (keepBest is null || _options.Checkpoints is not { } policy)
            return;
        if (keepBest.Contains(_at.Step))
            WriteCheckpoint(policy.BestPath(_at.Step));
        foreach (var old in _monitor.Evaluations.Select(e => e.Step).Where(s => !keepBest.Contains(s)))
            File.Delete(policy.BestPath(old));
    }

    /// <summary>The run's end once the blocks are done: canceled, or the result, checked as a checkpoint is.</summary>
    private TrainingResult<TModel> Finish()
    {
        // Cancellation either stopped the step block itself or completed it by canceling the blocks upstream.
        if (_canceled || _cancellation.IsCancellationRequested)
        {
            _reports.End();
            throw new OperationCanceledException($"Training was canceled after step {_at.Step}.", _cancellation);
        }
        _stopReason ??= _at.Step == _firstStep ? "every epoch was already done: no steps taken" : "every epoch done";
        if (_options.Checkpoints is { } checkpoints)
            WriteCheckpoint(checkpoints.LastPath);
        else
            RequireFiniteParameters();
        _reports.Add(new StoppedReport(_at.Step, _at.Epoch, _clock.Elapsed, _stopReason));
        _reports.End();
        var restoreBest = _options.EarlyStopping?.RestoreBest == true && _monitor.Best is not null;
        return new TrainingResult<TModel>(restoreBest ? _monitor.Best! : _steps.Model, _steps.State, _at.Step, _at.Epoch, _stopReason, _monitor.Evaluations);
    }

    /// <summary>Throws if the last update left a parameter non-finite: no checkpoint or result may hold it.</summary>
    private void RequireFiniteParameters()
    {
        if (NonFiniteGuard.CheckParameters(_steps.Model) is { } finding)
            throw new NonFiniteParameterException(_at.Step, finding);
    }

    private void WriteCheckpoint(string path)
    {
        RequireFiniteParameters();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var progress = new TrainingProgress(_at.Step, _at.Epoch, _at.Position, _key.Bits64, _monitor.Evaluations, _monitor.BestStep);
        new TrainingCheckpoint<TModel>(_steps.Model, _steps.State, _options.EarlyStopping?.RestoreBest == true ? _monitor.Best : null, progress).Save(path);
        _reports.Add(new CheckpointReport(_at.Step, _at.Epoch, _clock.Elapsed, path));
    }

    /// <summary>The exception that started a failure, out of the aggregates the blocks wrap it in.</summary>
    private static Exception Original(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
            e = aggregate.InnerException!;
        return e;
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            // Stopping the producer after a failure; the failure itself is what the run reports.
        }
    }
}
