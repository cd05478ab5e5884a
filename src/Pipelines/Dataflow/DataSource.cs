using Pipelines.IO;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// Where a training graph's examples come from: tensors in memory (random access, shuffled by a permutation), or a
/// stream of examples read again each epoch (shuffled through a bounded buffer). Either way the order is a pure
/// function of the run's key, the epoch and the data, and a position within an epoch can be resumed from.
/// </summary>
public abstract class DataSource
{
    private protected DataSource()
    {
    }

    /// <summary>How many examples an epoch has, when known before reading (in-memory sources); null for streams.</summary>
    public abstract long? Count { get; }

    /// <summary>Examples as rows of tensors: features [N, ...] and targets [N, ...] (int64 class indices, or floats).</summary>
    /// <param name="features">The features, one row per example.</param>
    /// <param name="targets">The targets, one row per example.</param>
    public static DataSource FromTensors(Tensor features, Tensor targets) => new TensorSource(features, targets);

    /// <summary>A CSV table's features and targets (see <see cref="Csv"/>).</summary>
    /// <param name="data">The table; it needs a target column.</param>
    public static DataSource FromCsv(CsvData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new TensorSource(data.Features, data.Targets ?? throw new ArgumentException("A training source needs targets; read the CSV with a target column.", nameof(data)));
    }

    /// <summary>A stream of examples, read again from the start each epoch by calling <paramref name="read"/>.</summary>
    /// <param name="read">Opens the stream; it must give the same examples in the same order every time.</param>
    public static DataSource FromExamples(Func<IEnumerable<Example>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return new StreamSource(_ => read().ToAsyncEnumerable());
    }

    /// <summary>An asynchronous stream of examples, read again from the start each epoch by calling <paramref name="read"/>.</summary>
    /// <param name="read">Opens the stream; it must give the same examples in the same order every time.</param>
    public static DataSource FromExamples(Func<CancellationToken, IAsyncEnumerable<Example>> read) => new StreamSource(read);

    /// <summary>
    /// A seeded split into training and validation sources, as <c>torch.utils.data.random_split</c> makes one: the
    /// examples in the order of a permutation drawn from <paramref name="key"/>, the last
    /// ⌊count · <paramref name="validationFraction"/>⌉ of it held out. The same key gives the same split on any machine;
    /// every example lands in exactly one part. For in-memory sources (a stream would have to be read to be split).
    /// </summary>
    /// <param name="validationFraction">The share held out, in (0, 1).</param>
    /// <param name="key">The split's key (keep it apart from the run's key).</param>
    public (DataSource Train, DataSource Validation) Split(double validationFraction, Key key)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "DataSource.Split needs a validation fraction in (0, 1).");
        if (this is not TensorSource source)
            throw new NotSupportedException("DataSource.Split splits in-memory sources (FromTensors, FromCsv); a streamed source would have to be read first.");
        var count = source.Count!.Value;
        var held = (int)Math.Round(count * validationFraction, MidpointRounding.AwayFromZero);
        if (held == 0 || held == count)
            throw new ArgumentException($"DataSource.Split of {count} examples at {validationFraction} leaves {(held == 0 ? "no validation" : "no training")} example.", nameof(validationFraction));
        var order = Shuffling.Permutation(key, 0, (int)count);
        return (source.Rows(order[..^held]), source.Rows(order[^held..]));
    }

    /// <summary>The epoch's batches from position <see cref="PlanRequest.Skip"/> on, as plans the loaders turn into batches.</summary>
    internal abstract IAsyncEnumerable<BatchPlan> Plan(PlanRequest request, CancellationToken cancellation);

    /// <summary>The batch a plan describes, each example transformed with its own key when a transform is given.</summary>
    internal abstract Batch Load(BatchPlan plan, Func<Example, Key, Example>? transform, Key transformKey);

    /// <summary>The examples stacked into a batch, each transformed first with the key of (epoch, its index).</summary>
    private protected static Batch Stack(BatchPlan plan, IEnumerable<(long Index, Example Example)> examples, Func<Example, Key, Example>? transform, Key transformKey)
    {
        var epochKey = transformKey.Fold((ulong)plan.Epoch);
        var indexed = examples.ToList();
        var transformed = indexed.Select(e => transform is null ? e.Example : transform(e.Example, epochKey.Fold((ulong)e.Index))).ToList();
        if (transformed.Exists(e => Layout(e) != Layout(transformed[0])))
        {
            // The layout most of the batch has is the expected one, so the message names the odd example out.
            var usual = transformed.GroupBy(Layout).MaxBy(g => g.Count())!.Key;
            var odd = transformed.FindIndex(e => Layout(e) != usual);
            throw new ArgumentException($"Example {indexed[odd].Index} of the data source{(transform is null ? string.Empty : ", after the transform,")} has {Describe(Layout(transformed[odd]))}, but example {indexed[transformed.FindIndex(e => Layout(e) == usual)].Index} of the same batch has {Describe(usual)}: a batch stacks examples of one shape.");
        }
        return new Batch(Tensor.Stack([.. transformed.Select(e => e.Features)]), Tensor.Stack([.. transformed.Select(e => e.Target)]), plan.Epoch, plan.Position, plan.IsLastOfEpoch)
        {
            Indices = [.. indexed.Select(e => e.Index)],
        };
    }

    private static (Shape, DType, Shape, DType) Layout(Example e) => (e.Features.Shape, e.Features.DType, e.Target.Shape, e.Target.DType);

    private static string Describe((Shape Features, DType FeatureType, Shape Target, DType TargetType) layout) =>
        $"features {layout.Features} ({layout.FeatureType.Name()}) and target {layout.Target} ({layout.TargetType.Name()})";
}

/// <summary>Which batches an epoch gives: from which position, how big, shuffled by which key (null: in order).</summary>
internal readonly record struct PlanRequest(int Epoch, long Skip, int BatchSize, bool DropLast, Key? ShuffleKey, int ShuffleBuffer);

/// <summary>One batch to load: the rows of an in-memory source, or the examples a stream gave.</summary>
internal sealed record BatchPlan(int Epoch, long Position, bool IsLastOfEpoch, int[]? Rows, IReadOnlyList<(long Index, Example Example)>? Examples)
{
    public int Count => Rows?.Length ?? Examples!.Count;
}
