using System.Collections.Immutable;
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
/// mutation inside the graph, values outside it.
/// </summary>
internal sealed class TrainingGraph<TModel>
    where TModel : Layer
{
    private readonly Trainer<TModel> _trainer;
    private readonly TrainerOptions _options;
    private readonly DataSource _data;
    private readonly CancellationToken _cancellation;
    private readonly BufferBlock<TrainingReport> _reports = new();
    private readonly List<TrainingReport> _unsent = [];
    private long _lastSent;
    private readonly Key _key;
    private readonly Stopwatch _clock = new();

    private readonly TrainingStep<TModel> _steps;
    private TModel? _best;
    private long _bestStep;
    private long _step;
    private int _epoch;
    private long _position;
    private long _examples;
    private ImmutableArray<EvaluationReport> _evaluations;
    private MetricSum _epochLoss;
    private MetricFold[] _epochMetrics;
    private readonly long _firstStep;
    private string? _stopReason;
    private bool _canceled;

    /// <summary>The longest a step report waits to go out.</summary>
    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(50);

    public TrainingGraph(Trainer<TModel> trainer, DataSource data, TrainingCheckpoint<TModel> start, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(data);
        _trainer = trainer;
        _options = trainer.Options;
        _data = data;
        _cancellation = cancellation;
        _key = new Key(start.Progress.Key);
        _steps = new TrainingStep<TModel>(trainer, start.Model, start.State);
        _best = start.Best;
        _bestStep = start.Progress.BestStep ?? -1;
        (_step, _epoch, _position) = (start.Progress.Step, start.Progress.Epoch, start.Progress.Position);
        _evaluations = start.Progress.Evaluations;
        _firstStep = _step;
        _epochMetrics = StartMetrics();
        if (data.Count == 0)
            throw new ArgumentException("The training data source has no examples.", nameof(data));
        if (_options.DropLast && data.Count < _options.BatchSize)
            throw new ArgumentException($"TrainerOptions.DropLast with BatchSize {_options.BatchSize} drops every example of a data source of {data.Count}: no step could be taken. Lower BatchSize or turn DropLast off.", nameof(data));
    }

    /// <summary>Examples held at most: plans waiting, batches loading, the step's queue (one) and the step; for streams, the shuffle buffer and the planner's two batches too.</summary>
    private int MaxExamplesInFlight => ((_options.Prefetch + _options.Loaders + 3) * _options.BatchSize)
        + (_data.Count is null ? (_options.Shuffle ? _options.ShuffleBuffer : 0) + (2 * _options.BatchSize) : 0);

    public TrainingRun<TModel> Start() => new(_reports.ReceiveAllAsync(), RunAsync(), MaxExamplesInFlight);

    private async Task<TrainingResult<TModel>> RunAsync()
    {
        await Task.Yield();
        _clock.Start();
        using var graph = CancellationTokenSource.CreateLinkedTokenSource(_cancellation);
        using var producing = CancellationTokenSource.CreateLinkedTokenSource(graph.Token);
        var planner = new BufferBlock<BatchPlan>(new DataflowBlockOptions { BoundedCapacity = _options.Prefetch, CancellationToken = graph.Token });
        var transformKey = RunKeys.Transform(_key);
        // A loader's failure travels in order as a value: a TransformBlock that throws may still pass later batches on
        // (EnsureOrdered does not hold them back), and training one after a failed one would lose its examples.
        var loader = new TransformBlock<BatchPlan, Loaded>(
            plan => Load(plan, transformKey),
            new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = _options.Loaders, BoundedCapacity = _options.Loaders, EnsureOrdered = true, CancellationToken = graph.Token });
        // No cancellation token: a step in flight when the run is canceled finishes its micro-batches, and the next stops.
        var stepper = new ActionBlock<Loaded>(
            loaded => StepAsync(loaded.Batch ?? throw Rethrown(loaded.Error!), producing),
            // Room for the next batch beside the one in its step, so the block moves on without being rescheduled.
            new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 1, BoundedCapacity = 2 });
        planner.LinkTo(loader, new DataflowLinkOptions { PropagateCompletion = true });
        loader.LinkTo(stepper, new DataflowLinkOptions { PropagateCompletion = true });
        var producer = ProduceAsync(planner, producing.Token);
        try
        {
            await stepper.Completion.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The step block failed (or a fault reached it from the data): stop everything upstream, report the cause.
            graph.Cancel();
            EndReports();
            await Quietly(producer).ConfigureAwait(false);
            ExceptionDispatchInfo.Capture(Original(e)).Throw();
            throw;
        }
        await producer.ConfigureAwait(false);
        // Cancellation either stopped the step block itself or completed it by canceling the blocks upstream.
        if (_canceled || _cancellation.IsCancellationRequested)
        {
            EndReports();
            throw new OperationCanceledException($"Training was canceled after step {_step}.", _cancellation);
        }
        _stopReason ??= _step == _firstStep ? "every epoch was already done: no steps taken" : "every epoch done";
        // The returned model is checked as a checkpoint is (WriteCheckpoint checks before it writes).
        if (_options.Checkpoints is { } checkpoints)
            WriteCheckpoint(checkpoints.LastPath);
        else
            RequireFiniteParameters();
        Report(new StoppedReport(_step, _epoch, _clock.Elapsed, _stopReason));
        EndReports();
        var restoreBest = _options.EarlyStopping?.RestoreBest == true && _best is not null;
        return new TrainingResult<TModel>(restoreBest ? _best! : _steps.Model, _steps.State, _step, _epoch, _stopReason, _evaluations);
    }

    /// <summary>Sends the plans of every remaining epoch, from the resumed position; completes (or faults) the planner when done.</summary>
    private async Task ProduceAsync(BufferBlock<BatchPlan> planner, CancellationToken stop)
    {
        try
        {
            var shuffleKey = _options.Shuffle ? RunKeys.Shuffle(_key) : (Key?)null;
            for (var epoch = _epoch; epoch < _options.Epochs && !stop.IsCancellationRequested; epoch++)
            {
                var request = new PlanRequest(epoch, epoch == _epoch ? _position : 0, _options.BatchSize, _options.DropLast, shuffleKey, _options.ShuffleBuffer);
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
        if (_options.MaxSteps is { } limit && _step >= limit)
            _stopReason ??= $"the step limit ({limit})";
        if (_stopReason is not null || _canceled)
        {
            producing.Cancel();
            return;
        }
        if (_cancellation.IsCancellationRequested)
        {
            _canceled = true;
            producing.Cancel();
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var outcome = _steps.Take(batch, _step, RunKeys.Step(_key, _step), kept: _best);
        _step++;
        _examples += batch.Count;
        (_epoch, _position) = batch.IsLastOfEpoch ? (batch.Epoch + 1, 0) : (batch.Epoch, batch.Position + batch.Count);
        _epochLoss += new MetricSum(outcome.Loss * batch.Count, batch.Count);
        for (var m = 0; m < _epochMetrics.Length; m++)
            _epochMetrics[m] = _epochMetrics[m].Add(outcome.Output, batch.Targets);
        var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        TrainingMeters.Steps.Add(1);
        TrainingMeters.Examples.Add(batch.Count);
        TrainingMeters.StepDuration.Record(milliseconds);
        TrainingMeters.Loss.Record(outcome.Loss);
        Report(new StepReport(_step, batch.Epoch, _clock.Elapsed, outcome.Loss, batch.Count, _examples / _clock.Elapsed.TotalSeconds, _trainer.Optimizer.LearningRate?.Invoke(_step - 1)));
        if (batch.IsLastOfEpoch)
        {
            var values = _epochMetrics.Select(f => (f.Metric.Name, f.Value)).Prepend((_trainer.LossMetric.Name, _epochLoss.Value));
            Report(new EpochReport(_step, batch.Epoch, _clock.Elapsed, values.ToImmutableSortedDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal)));
            (_epochLoss, _epochMetrics) = (default, StartMetrics());
        }
        if (_options.Validation is not null && (_options.ValidateEverySteps is { } every ? _step % every == 0 : batch.IsLastOfEpoch))
            await EvaluateAsync(batch.Epoch).ConfigureAwait(false);
        if (_options.Checkpoints is { EverySteps: > 0 } policy && _step % policy.EverySteps == 0)
            WriteCheckpoint(policy.LastPath);
        if (_options.MaxSteps is { } maxSteps && _step >= maxSteps)
            _stopReason ??= $"the step limit ({maxSteps})";
        if (_options.MaxTime is { } maxTime && _clock.Elapsed >= maxTime)
            _stopReason ??= $"the time limit ({maxTime})";
        if (_stopReason is not null)
            producing.Cancel();
    }

    /// <summary>Evaluates on the validation data, then applies what follows from it: the plateau's scale, early stopping, best checkpoints.</summary>
    private async Task EvaluateAsync(int epoch)
    {
        var metrics = await _trainer.EvaluateAsync(_steps.Model, _options.Validation!, _cancellation).ConfigureAwait(false);
        var evaluation = new EvaluationReport(_step, epoch, _clock.Elapsed, metrics);
        _evaluations = _evaluations.Add(evaluation);
        Report(evaluation);
        var monitor = _options.EarlyStopping?.Monitor ?? _trainer.LossMetric.Name;
        _steps.Observe(Monitored(evaluation, monitor), _trainer.ModeOf(monitor));
        if (_options.EarlyStopping is { } stopping)
        {
            var (stop, best) = stopping.Decide([.. _evaluations.Select(e => Monitored(e, stopping.Monitor))], _trainer.ModeOf(stopping.Monitor));
            if (best == _evaluations.Length - 1)
                (_best, _bestStep) = (_steps.Model, _step);
            if (stop)
                _stopReason ??= $"early stopping: '{stopping.Monitor}' has not improved for {stopping.Patience} evaluations (best at step {_bestStep})";
        }
        if (_options.Checkpoints is { Monitor: { } ranked } policy)
        {
            var keep = policy.Best([.. _evaluations.Select(e => (e.Step, Monitored(e, ranked)))], _trainer.ModeOf(ranked));
            if (keep.Contains(_step))
                WriteCheckpoint(policy.BestPath(_step));
            foreach (var old in _evaluations.Select(e => e.Step).Where(s => !keep.Contains(s)))
                File.Delete(policy.BestPath(old));
        }
    }

    private static double Monitored(EvaluationReport evaluation, string name) =>
        evaluation.Metrics.TryGetValue(name, out var value)
            ? value
            : throw new ArgumentException($"The monitored metric '{name}' is not among the evaluation's ({string.Join(", ", evaluation.Metrics.Keys)}); add it to TrainerOptions.Metrics.");

    /// <summary>The evaluated metrics but the loss, before any batch.</summary>
    private MetricFold[] StartMetrics() => [.. _trainer.AllMetrics.Skip(1).Select(m => m.Start())];

    /// <summary>Throws if the last update left a parameter non-finite: no checkpoint or result may hold it.</summary>
    private void RequireFiniteParameters()
    {
        if (NonFiniteGuard.CheckParameters(_steps.Model) is { } finding)
            throw new NonFiniteParameterException(_step, finding);
    }

    private void WriteCheckpoint(string path)
    {
        RequireFiniteParameters();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var progress = new TrainingProgress(_step, _epoch, _position, _key.Bits64, _evaluations, _bestStep >= 0 ? _bestStep : null);
        new TrainingCheckpoint<TModel>(_steps.Model, _steps.State, _options.EarlyStopping?.RestoreBest == true ? _best : null, progress).Save(path);
        Report(new CheckpointReport(_step, _epoch, _clock.Elapsed, path));
    }

    /// <summary>
    /// Step reports go out in bursts, at most <see cref="ReportInterval"/> apart (a progress display redraws about that
    /// often); any other report goes out at once with those before it, so the order holds. A reader woken for every step
    /// took a thread from the kernels' fork and join each time.
    /// </summary>
    private void Report(TrainingReport report)
    {
        _unsent.Add(report);
        if (report is not StepReport || Stopwatch.GetElapsedTime(_lastSent) >= ReportInterval)
            SendReports();
    }

    private void SendReports()
    {
        foreach (var report in _unsent)
            _reports.Post(report);
        _unsent.Clear();
        _lastSent = Stopwatch.GetTimestamp();
    }

    /// <summary>Sends what is left and ends the report stream: on every way out of a run.</summary>
    private void EndReports()
    {
        SendReports();
        _reports.Complete();
    }

    private Loaded Load(BatchPlan plan, Key transformKey)
    {
        try
        {
            return new Loaded(_data.Load(plan, _options.Transform, transformKey), null);
        }
        catch (Exception e)
        {
            return new Loaded(null, ExceptionDispatchInfo.Capture(e));
        }
    }

    private static Exception Rethrown(ExceptionDispatchInfo error)
    {
        error.Throw();
        return error.SourceException;
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

    private sealed record Loaded(Batch? Batch, ExceptionDispatchInfo? Error);
}
