using System.Collections.Immutable;

namespace Pipelines.Dataflow;

/// <summary>What a training run says as it goes, in order: steps, epochs, evaluations, checkpoints, and why it stopped.</summary>
/// <param name="Step">Steps taken so far.</param>
/// <param name="Epoch">The epoch (from 0).</param>
/// <param name="Elapsed">Time since the run (or its resume) started.</param>
public abstract record TrainingReport(long Step, int Epoch, TimeSpan Elapsed);

/// <summary>One optimizer step.</summary>
/// <param name="Step">Steps taken, this one included.</param>
/// <param name="Epoch">The epoch.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="Loss">The batch's loss.</param>
/// <param name="Examples">The batch's size.</param>
/// <param name="ExamplesPerSecond">Examples per second over the run so far.</param>
/// <param name="LearningRate">The learning rate of the step, from the optimizer's <c>LearningRate</c>; null for an optimizer without one.</param>
public sealed record StepReport(long Step, int Epoch, TimeSpan Elapsed, double Loss, int Examples, double ExamplesPerSecond, double? LearningRate)
    : TrainingReport(Step, Epoch, Elapsed);

/// <summary>The end of an epoch: the training metrics folded over its batches (the loss always, as <c>loss</c>).</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="Epoch">The epoch that ended.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="Metrics">Each metric's value over the epoch's training batches.</param>
public sealed record EpochReport(long Step, int Epoch, TimeSpan Elapsed, ImmutableSortedDictionary<string, double> Metrics)
    : TrainingReport(Step, Epoch, Elapsed);

/// <summary>An evaluation on the validation data (the loss always, as <c>loss</c>, and every metric of the options).</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="Epoch">The epoch.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="Metrics">Each metric's value on the validation data.</param>
public sealed record EvaluationReport(long Step, int Epoch, TimeSpan Elapsed, ImmutableSortedDictionary<string, double> Metrics)
    : TrainingReport(Step, Epoch, Elapsed);

/// <summary>A checkpoint written (atomically).</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="Epoch">The epoch.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="Path">The file.</param>
public sealed record CheckpointReport(long Step, int Epoch, TimeSpan Elapsed, string Path)
    : TrainingReport(Step, Epoch, Elapsed);

/// <summary>The run ended: every epoch done, a limit reached, or early stopping.</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="Epoch">The epoch.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="Reason">Why it ended.</param>
public sealed record StoppedReport(long Step, int Epoch, TimeSpan Elapsed, string Reason)
    : TrainingReport(Step, Epoch, Elapsed);
