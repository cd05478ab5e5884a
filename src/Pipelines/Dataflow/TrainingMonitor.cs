using System.Collections.Immutable;
using Pipelines.Layers;

namespace Pipelines.Dataflow;

/// <summary>
/// A run's evaluations and what follows from each, every consumer by the metric it names: the plateau schedule's
/// observation (<see cref="TrainerOptions.PlateauMonitor"/>), early stopping's decision and best model
/// (<see cref="EarlyStopping.Monitor"/>), and which best checkpoints to keep (<see cref="CheckpointPolicy.Monitor"/>).
/// The decisions are the options' pure functions of the history; this holds the history.
/// </summary>
/// <typeparam name="TModel">The model's type.</typeparam>
internal sealed class TrainingMonitor<TModel>
    where TModel : Layer
{
    private readonly Trainer<TModel> _trainer;

    public TrainingMonitor(Trainer<TModel> trainer, TrainingCheckpoint<TModel> start)
    {
        _trainer = trainer;
        Evaluations = start.Progress.Evaluations;
        (Best, BestStep) = (start.Best, start.Progress.BestStep);
    }

    /// <summary>Every evaluation so far, the resumed run's included.</summary>
    public ImmutableArray<EvaluationReport> Evaluations { get; private set; }

    /// <summary>The model of early stopping's best evaluation, or null.</summary>
    public TModel? Best { get; private set; }

    /// <summary>The step of early stopping's best evaluation, or null.</summary>
    public long? BestStep { get; private set; }

    /// <summary>
    /// Evaluates the step's model on the validation data and lets its state observe the plateau's metric; says whether
    /// to stop and which best checkpoints to keep (null without a ranking policy).
    /// </summary>
    public async Task<(EvaluationReport Report, string? StopReason, IReadOnlyList<long>? KeepBest)> EvaluateAsync(TrainingStep<TModel> step, long steps, int epoch, TimeSpan elapsed, CancellationToken cancellation)
    {
        var options = _trainer.Options;
        var metrics = await _trainer.EvaluateAsync(step.Model, options.Validation!, cancellation).ConfigureAwait(false);
        var evaluation = new EvaluationReport(steps, epoch, elapsed, metrics);
        Evaluations = Evaluations.Add(evaluation);
        var plateau = options.PlateauMonitor ?? options.EarlyStopping?.Monitor ?? _trainer.LossMetric.Name;
        step.Observe(Monitored(evaluation, plateau), _trainer.ModeOf(plateau));
        string? stopReason = null;
        if (options.EarlyStopping is { } stopping)
        {
            var (stop, best) = stopping.Decide(History(stopping.Monitor), _trainer.ModeOf(stopping.Monitor));
            if (best == Evaluations.Length - 1)
                (Best, BestStep) = (step.Model, steps);
            if (stop)
                stopReason = $"early stopping: '{stopping.Monitor}' has not improved for {stopping.Patience} evaluations ({(BestStep is { } at ? $"best at step {at}" : "every evaluation NaN")})";
        }
        var keep = options.Checkpoints is { Monitor: { } ranked } policy
            ? policy.Best([.. Evaluations.Select(e => (e.Step, Monitored(e, ranked)))], _trainer.ModeOf(ranked))
            : null;
        return (evaluation, stopReason, keep);
    }

    private double[] History(string name) => [.. Evaluations.Select(e => Monitored(e, name))];

    private static double Monitored(EvaluationReport evaluation, string name) =>
        evaluation.Metrics.TryGetValue(name, out var value)
            ? value
            : throw new ArgumentException($"The monitored metric '{name}' is not among the evaluation's ({string.Join(", ", evaluation.Metrics.Keys)}); add it to TrainerOptions.Metrics.");
}
