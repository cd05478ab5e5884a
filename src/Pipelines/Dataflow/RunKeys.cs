using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// The keys a training run derives from its one key, each for one purpose: the epochs' orders, the examples'
/// transforms and the steps' forward passes (dropout). Public so a run can be reproduced and audited outside the graph.
/// </summary>
public static class RunKeys
{
    /// <summary>The key of the epochs' orders (<see cref="Shuffling"/> folds the epoch in).</summary>
    /// <param name="run">The run's key.</param>
    public static Key Shuffle(Key run) => run.Fold(1);

    /// <summary>The key of the per-example transforms (the trainer folds in the epoch, then the example's index).</summary>
    /// <param name="run">The run's key.</param>
    public static Key Transform(Key run) => run.Fold(2);

    /// <summary>The key of step <paramref name="step"/>'s forward pass (from 0); micro-batch i of several folds in i.</summary>
    /// <param name="run">The run's key.</param>
    /// <param name="step">Steps taken before this one.</param>
    public static Key Step(Key run, long step) => run.Fold(3).Fold((ulong)step);
}
