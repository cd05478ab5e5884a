using System.Diagnostics.Metrics;

namespace Pipelines.Dataflow;

/// <summary>
/// The trainer's counters and histograms in <see cref="System.Diagnostics.Metrics"/>, under the meter
/// <c>Pipelines.Training</c>: what <c>dotnet-counters</c> and OpenTelemetry read.
/// </summary>
internal static class TrainingMeters
{
    private static readonly Meter Meter = new("Pipelines.Training");

    private static readonly Counter<long> Steps = Meter.CreateCounter<long>("pipelines.training.steps", description: "Optimizer steps taken.");

    private static readonly Counter<long> Examples = Meter.CreateCounter<long>("pipelines.training.examples", description: "Training examples seen.");

    private static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("pipelines.training.step.duration", "ms", "Time per optimizer step.");

    private static readonly Histogram<double> Loss = Meter.CreateHistogram<double>("pipelines.training.loss", description: "The loss of each step's batch.");

    /// <summary>Records one step of <paramref name="examples"/> examples that took <paramref name="duration"/> and had <paramref name="loss"/>.</summary>
    public static void Record(TimeSpan duration, int examples, double loss)
    {
        Steps.Add(1);
        Examples.Add(examples);
        StepDuration.Record(duration.TotalMilliseconds);
        Loss.Record(loss);
    }
}
