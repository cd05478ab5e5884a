using Pipelines.Autodiff;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// Where a step's micro-batch gradients are computed when not in this process (Pipelines.Orleans' cluster trainer). The
/// graph plans, reduces, steps, evaluates, reports and checkpoints as ever; only the passes run where the data is. The
/// batch it is given holds its rows' indices alone (<see cref="RowsElsewhere"/>), so the targets come back with the
/// gradients.
/// </summary>
/// <typeparam name="TModel">The model's type.</typeparam>
internal interface IRemoteGradients<TModel>
    where TModel : Layer
{
    /// <summary>
    /// Each part's loss, gradient and output at its own index, exactly as a pass in this process gives it
    /// in this process (the first part's model carrying the buffers its pass updated), and the batch's targets in order.
    /// </summary>
    /// <param name="model">The model version every part is computed on.</param>
    /// <param name="batch">The batch: its epoch and its rows' indices.</param>
    /// <param name="parts">Its micro-batches, in order.</param>
    /// <param name="step">The step's number, from 0.</param>
    /// <param name="key">The step's key.</param>
    Task<(ValueAndGradient<TModel>[] Gradients, Tensor Targets)> ComputeAsync(TModel model, Batch batch, IReadOnlyList<MicroBatch> parts, long step, Key key);
}
