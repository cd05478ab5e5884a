using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

/// <summary>
/// Reads an optimizer state's tensors back by name, checking each against the template's shape and dtype and recording
/// which were used, so that a missing, mis-shaped or left-over entry is an error that names it.
/// </summary>
public sealed class StateReader
{
    private readonly IReadOnlyDictionary<string, Tensor> _tensors;
    private readonly HashSet<string> _used;

    internal StateReader(IReadOnlyDictionary<string, Tensor> tensors)
        : this(tensors, new HashSet<string>(StringComparer.Ordinal), LayerPath.Root)
    {
    }

    private StateReader(IReadOnlyDictionary<string, Tensor> tensors, HashSet<string> used, string prefix) => (_tensors, _used, Prefix) = (tensors, used, prefix);

    /// <summary>The prefix this reader adds to every name.</summary>
    public string Prefix { get; }

    /// <summary>The names read so far.</summary>
    internal IReadOnlySet<string> Used => _used;

    /// <summary>A reader for a part of the state, adding <paramref name="name"/> to the prefix.</summary>
    /// <param name="name">The part's name.</param>
    public StateReader Child(string name) => new(_tensors, _used, LayerPath.Join(Prefix, name));

    /// <summary>The tensor <paramref name="name"/>, which must have <paramref name="like"/>'s shape and dtype.</summary>
    /// <param name="name">Its name under the prefix.</param>
    /// <param name="like">The template's tensor.</param>
    public Tensor Read(string name, Tensor like)
    {
        ArgumentNullException.ThrowIfNull(like);
        var key = LayerPath.Join(Prefix, name);
        if (!_tensors.TryGetValue(key, out var tensor))
            throw new ArgumentException($"The saved optimizer state has no '{key}'.", nameof(name));
        if (tensor.Shape != like.Shape || tensor.DType != like.DType)
            throw new ArgumentException($"Saved '{key}' is {tensor.Shape} ({tensor.DType.Name()}) but the optimizer expects {like.Shape} ({like.DType.Name()}).", nameof(name));
        _used.Add(key);
        return tensor;
    }

    /// <summary>One tensor per parameter under <paramref name="name"/>, shaped like <paramref name="like"/>'s.</summary>
    /// <param name="name">The group's name (<c>exp_avg</c>).</param>
    /// <param name="like">The template's tensors by parameter name.</param>
    public NamedTensors Read(string name, NamedTensors like)
    {
        ArgumentNullException.ThrowIfNull(like);
        return like.Map((parameter, tensor) => Read(LayerPath.Join(name, parameter), tensor));
    }

    /// <summary>A count written by <see cref="StateWriter.Write(string, long)"/>.</summary>
    /// <param name="name">Its name under the prefix.</param>
    public long ReadCount(string name) => Read(name, Tensor.FromArray(new long[] { 0 }).Reshape(Shape.Scalar)).Item<long>();

    /// <summary>A real number written by <see cref="StateWriter.Write(string, double)"/>.</summary>
    /// <param name="name">Its name under the prefix.</param>
    public double ReadNumber(string name) => Read(name, Tensor.Scalar(0, DType.Float64)).Item<double>();
}
