using System.Diagnostics.Metrics;

namespace Pipelines.Dataflow;

/// <summary>The inference pipeline's instruments in <see cref="System.Diagnostics.Metrics"/>, under the meter <c>Pipelines.Inference</c>.</summary>
internal static class InferenceMeters
{
    private static readonly Meter Meter = new("Pipelines.Inference");

    public static Histogram<int> BatchSize { get; } = Meter.CreateHistogram<int>("pipelines.inference.batch.size", description: "Requests per forward pass.");

    public static Histogram<double> QueueWait { get; } = Meter.CreateHistogram<double>("pipelines.inference.queue.wait", "ms", "Time from a request's arrival to its batch's start.");

    public static Histogram<double> Execution { get; } = Meter.CreateHistogram<double>("pipelines.inference.execution", "ms", "Time of one batch's forward pass.");

    public static Counter<long> Rejections { get; } = Meter.CreateCounter<long>("pipelines.inference.rejections", description: "Requests rejected because the queue was full or closed.");

    public static Counter<long> Cancellations { get; } = Meter.CreateCounter<long>("pipelines.inference.cancellations", description: "Requests canceled or past their deadline before their result.");
}
