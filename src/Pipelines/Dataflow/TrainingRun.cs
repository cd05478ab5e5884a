using System.Collections.Immutable;
using Pipelines.Layers;
using Pipelines.Optim;

namespace Pipelines.Dataflow;

/// <summary>A training run in progress: its reports as they come, and its result.</summary>
/// <typeparam name="TModel">The model's type.</typeparam>
public sealed class TrainingRun<TModel>
    where TModel : Layer
{
    internal TrainingRun(IAsyncEnumerable<TrainingReport> reports, Task<TrainingResult<TModel>> completion, int maxExamplesInFlight)
    {
        Reports = reports;
        Completion = completion;
        MaxExamplesInFlight = maxExamplesInFlight;
    }

    /// <summary>
    /// Every report in order, ending when the run ends (read it with <c>await foreach</c>; the run does not wait for a
    /// reader). Step reports arrive in bursts at most 50 ms apart, every other report at once. A run that fails ends its
    /// reports and faults <see cref="Completion"/> with the original exception.
    /// </summary>
    public IAsyncEnumerable<TrainingReport> Reports { get; }

    /// <summary>The result; faults with the first exception from the data, a transform or the model, or is canceled.</summary>
    public Task<TrainingResult<TModel>> Completion { get; }

    /// <summary>The most examples the graph holds at once (planned, loading, queued and in the step): its memory bound.</summary>
    public int MaxExamplesInFlight { get; }
}

/// <summary>How a run ended.</summary>
/// <typeparam name="TModel">The model's type.</typeparam>
/// <param name="Model">The trained model (the best one when early stopping restores it).</param>
/// <param name="State">The optimizer's state after the last step.</param>
/// <param name="Steps">Steps taken in all.</param>
/// <param name="Epoch">The epoch the run ended in.</param>
/// <param name="StopReason">Why it ended.</param>
/// <param name="Evaluations">Every evaluation, in order.</param>
public sealed record TrainingResult<TModel>(TModel Model, OptimizerState State, long Steps, int Epoch, string StopReason, ImmutableArray<EvaluationReport> Evaluations)
    where TModel : Layer;
