using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>How a <see cref="Trainer{TModel}"/> runs: data, parallelism, evaluation, stopping and checkpoints.</summary>
public sealed record TrainerOptions
{
    /// <summary>Examples per optimizer step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Whether each epoch visits the examples in a new order drawn from the run's key.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>For streamed sources: how many examples the shuffle buffer holds.</summary>
    public int ShuffleBuffer { get; init; } = 4096;

    /// <summary>Whether an epoch's last, partial batch is dropped.</summary>
    public bool DropLast { get; init; }

    /// <summary>
    /// How many parts each batch is split into for the gradient workers. The gradient is the parts' gradients summed in
    /// order, weighted by their sizes, so it depends on this number but never on <see cref="Workers"/>.
    /// </summary>
    public int MicroBatches { get; init; } = 1;

    /// <summary>How many micro-batch gradients are computed at once; the kernels' threads are shared out among them.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Whether the arrays a step donates to the next are filled with NaN first (debug builds; tests turn it on), so a stale read shows.</summary>
    internal bool PoisonDonations { get; init; } = DonatedArrays.PoisonByDefault;

    /// <summary>How many batches are loaded (and transformed) at once.</summary>
    public int Loaders { get; init; } = 1;

    /// <summary>How many planned batches may wait ahead of the loaders.</summary>
    public int Prefetch { get; init; } = 2;

    /// <summary>A per-example transform (augmentation) given the example and a key of (run, epoch, example index) alone.</summary>
    public Func<Example, Key, Example>? Transform { get; init; }

    /// <summary>Held-out data evaluated at each epoch's end (or every <see cref="ValidateEverySteps"/>), or null.</summary>
    public DataSource? Validation { get; init; }

    /// <summary>Steps between evaluations; null for one at each epoch's end.</summary>
    public int? ValidateEverySteps { get; init; }

    /// <summary>Metrics folded over training epochs and evaluations, besides the loss.</summary>
    public IReadOnlyList<Metric> Metrics { get; init; } = [];

    /// <summary>Stop when a validation metric stops improving, or null.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>
    /// The validation metric a <c>ReduceOnPlateau</c> in the optimizer observes after each evaluation; null for the
    /// early-stopping monitor if there is one, else the loss (Keras's and PyTorch's plateau watch the loss by default).
    /// </summary>
    public string? PlateauMonitor { get; init; }

    /// <summary>Where and when to write checkpoints, or null for none.</summary>
    public CheckpointPolicy? Checkpoints { get; init; }

    /// <summary>Stop after this many steps in all, or null.</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Stop once this much time has passed, or null.</summary>
    public TimeSpan? MaxTime { get; init; }

    /// <summary>Throws the first bad option, by name.</summary>
    internal void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(BatchSize), BatchSize), (nameof(MicroBatches), MicroBatches), (nameof(Workers), Workers), (nameof(Loaders), Loaders), (nameof(Prefetch), Prefetch), (nameof(ShuffleBuffer), ShuffleBuffer) })
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(name, value, $"TrainerOptions.{name} must be at least 1.");
        }
        if (Epochs < 1)
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "TrainerOptions.Epochs must be at least 1.");
        if (MaxSteps is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "TrainerOptions.MaxSteps must be at least 1 (or null for no limit).");
        if (MaxTime is { } time && time <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MaxTime), MaxTime, "TrainerOptions.MaxTime must be positive (or null for no limit).");
        if (ValidateEverySteps is < 1)
            throw new ArgumentOutOfRangeException(nameof(ValidateEverySteps), ValidateEverySteps, "TrainerOptions.ValidateEverySteps must be at least 1.");
        if ((EarlyStopping is not null || Checkpoints?.Monitor is not null) && Validation is null)
            throw new ArgumentException("Early stopping and best checkpoints monitor validation metrics: set TrainerOptions.Validation.");
    }
}
