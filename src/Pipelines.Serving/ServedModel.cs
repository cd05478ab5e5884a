using System.Collections.Immutable;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Serving;

/// <summary>
/// One version of a served model: the model, its own inference pipeline and what it takes and gives. Requests enter
/// and leave it (<see cref="TryEnter"/>, <see cref="Leave"/>); once retired by a swap it takes no new ones, and its
/// pipeline completes when the last request that entered has its answer, so no request is dropped or moved between
/// versions.
/// </summary>
internal sealed class ServedModel
{
    private readonly Lock _counting = new();
    private int _inFlight;
    private bool _retired;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServedModel(string name, string version, Layer model, ServedModelOptions options, Shape outputShape, DType outputType)
    {
        (Name, Version, Model, Options, OutputShape, OutputType) = (name, version, model, options, outputShape, outputType);
        Pipeline = new InferencePipeline(model, options.Inference);
    }

    public string Name { get; }

    public string Version { get; }

    public Layer Model { get; }

    public ServedModelOptions Options { get; }

    /// <summary>One example's output shape without the batch axis.</summary>
    public Shape OutputShape { get; }

    public DType OutputType { get; }

    public InferencePipeline Pipeline { get; }

    /// <summary>Completes once the version is retired and its last request has its answer.</summary>
    public Task Drained => _drained.Task;

    /// <summary>
    /// The version of <paramref name="model"/> named <paramref name="version"/>, checked before it serves: a batch of one
    /// example of zeros must go through it; a model that throws, or (when <paramref name="replacing"/>) gives another
    /// output than the version it replaces, never goes live.
    /// </summary>
    public static ServedModel Create(string name, string version, Layer model, ServedModelOptions options, ServedModel? replacing = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Tensor probe;
        try
        {
            probe = model.Forward(Tensor.Zeros(new Shape([1, .. options.InputShape.Dims]), options.InputType));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"Model '{name}' does not take one example of {options.InputShape} ({Datatypes.Name(options.InputType)}) as ServedModelOptions.InputShape says: {e.Message}", nameof(model), e);
        }
        var outputShape = probe.Shape.DropFirst();
        if (replacing is not null && (outputShape != replacing.OutputShape || probe.DType != replacing.OutputType))
            throw new ArgumentException($"Model '{name}' version {version} gives {outputShape} ({Datatypes.Name(probe.DType)}) per example, but version {replacing.Version} gives {replacing.OutputShape} ({Datatypes.Name(replacing.OutputType)}): a swap keeps the model's signature.", nameof(model));
        return new ServedModel(name, version, model, options, outputShape, probe.DType);
    }

    /// <summary>Whether the version takes new requests (it is not retired, and its pipeline has not completed).</summary>
    public bool IsServing
    {
        get
        {
            lock (_counting)
                return !_retired && !Pipeline.Completion.IsCompleted;
        }
    }

    /// <summary>Counts a request in unless the version is retired.</summary>
    public bool TryEnter()
    {
        lock (_counting)
        {
            if (_retired)
                return false;
            _inFlight++;
            return true;
        }
    }

    /// <summary>Counts a request out; the last one out of a retired version completes its pipeline.</summary>
    public void Leave()
    {
        lock (_counting)
        {
            if (--_inFlight > 0 || !_retired)
                return;
        }
        Finish();
    }

    /// <summary>Takes no new requests; the pipeline completes once those in flight have their answers.</summary>
    public void Retire()
    {
        lock (_counting)
        {
            if (_retired)
                return;
            _retired = true;
            if (_inFlight > 0)
                return;
        }
        Finish();
    }

    /// <summary>The protocol's description of the input or output: its batch axis is -1.</summary>
    public static ImmutableArray<long> ProtocolShape(Shape example) => [-1, .. example.Dims.ToArray().Select(d => (long)d)];

    private void Finish()
    {
        Pipeline.Complete();
        _ = Pipeline.Completion.ContinueWith(_ => _drained.TrySetResult(), TaskScheduler.Default);
    }
}
