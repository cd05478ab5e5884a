namespace Pipelines.Orleans;

/// <summary>
/// One silo's share of a step: the model version (sent once per silo per step, whatever its number of micro-batches),
/// the keys, and the micro-batches assigned to it by their global index.
/// </summary>
/// <param name="Job">The registered job's name.</param>
/// <param name="RunKey">The run's key (its per-example transform keys derive from it).</param>
/// <param name="StepKey">The step's key (each micro-batch's key derives from it and its global index).</param>
/// <param name="Epoch">The batch's epoch.</param>
/// <param name="Parts">How many micro-batches the whole step has.</param>
/// <param name="Workers">How many of the silo's threads take micro-batches at once (<c>TrainerOptions.Workers</c>).</param>
/// <param name="Parameters">The model version's parameters.</param>
/// <param name="Buffers">The model version's buffers.</param>
/// <param name="Assigned">The micro-batches this silo computes.</param>
[GenerateSerializer]
[Immutable]
internal sealed record StepWork(
    [property: Id(0)] string Job,
    [property: Id(1)] ulong RunKey,
    [property: Id(2)] ulong StepKey,
    [property: Id(3)] int Epoch,
    [property: Id(4)] int Parts,
    [property: Id(5)] int Workers,
    [property: Id(6)] TensorSet Parameters,
    [property: Id(7)] TensorSet Buffers,
    [property: Id(8)] PartWork[] Assigned);

/// <summary>A micro-batch to compute: its index in the step, its rows in the data, and its share of the batch.</summary>
/// <param name="Index">The micro-batch's index in the step.</param>
/// <param name="Rows">Its rows of the data source, in batch order.</param>
/// <param name="Weight">Its size over the batch's.</param>
[GenerateSerializer]
[Immutable]
internal sealed record PartWork([property: Id(0)] int Index, [property: Id(1)] int[] Rows, [property: Id(2)] double Weight);
