using System.Diagnostics.Metrics;

namespace Pipelines.Dataflow;

/// <summary>
/// The trainer's counters and histograms in <see cref="System.Diagnostics.Metrics"/>, under the meter
/// <c>Pipelines.Training</c>: what <c>dotnet-counters</c> and OpenTelemetry read.
/// </summary>
internal static class TrainingMeters
{
    private static readonly Meter Meter = new("Pipelines.Training");

    public static Counter<long> Steps { get; } = Meter.CreateCounter<long>("pipelines.training.steps", description: "Optimizer steps taken.");

    public static Counter<long> Examples { get; } = Meter.CreateCounter<long>("pipelines.training.examples", description: "Training examples seen.");

    public static Histogram<double> StepDuration { get; } = Meter.CreateHistogram<double>("pipelines.training.step.duration", "ms", "Time per optimizer step.");

    public static Histogram<double> Loss { get; } = Meter.CreateHistogram<double>("pipelines.training.loss", description: "The loss of each step's batch.");
}
