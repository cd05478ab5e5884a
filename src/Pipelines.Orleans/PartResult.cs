using Pipelines.Tensors;

namespace Pipelines.Orleans;

/// <summary>A computed micro-batch: its loss, its parameters' gradient, the model's output and the targets it was trained on.</summary>
/// <param name="Index">The micro-batch's index in the step.</param>
/// <param name="Loss">Its loss.</param>
/// <param name="Gradient">The gradient of every parameter.</param>
/// <param name="Output">The model's output for its rows.</param>
/// <param name="Targets">Its rows' targets (after the transform), for the coordinator's metrics.</param>
/// <param name="Buffers">The buffers after its pass, for the first micro-batch only (they carry on to the next version, as in one process).</param>
[GenerateSerializer]
[Immutable]
internal sealed record PartResult(
    [property: Id(0)] int Index,
    [property: Id(1)] double Loss,
    [property: Id(2)] TensorSet Gradient,
    [property: Id(3)] Tensor Output,
    [property: Id(4)] Tensor Targets,
    [property: Id(5)] TensorSet? Buffers);
