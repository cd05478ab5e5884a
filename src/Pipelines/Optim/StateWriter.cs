using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

/// <summary>Collects an optimizer state's tensors under dotted names (<c>1.exp_avg.0.weight</c>) as each state writes its own.</summary>
public sealed class StateWriter
{
    private readonly List<KeyValuePair<string, Tensor>> _entries;

    internal StateWriter()
        : this([], LayerPath.Root)
    {
    }

    private StateWriter(List<KeyValuePair<string, Tensor>> entries, string prefix) => (_entries, Prefix) = (entries, prefix);

    /// <summary>The names written so far.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Entries => _entries;

    /// <summary>The prefix this writer adds to every name.</summary>
    public string Prefix { get; }

    /// <summary>A writer for a part of the state, adding <paramref name="name"/> to the prefix.</summary>
    /// <param name="name">The part's name.</param>
    public StateWriter Child(string name) => new(_entries, LayerPath.Join(Prefix, name));

    /// <summary>Writes one tensor.</summary>
    /// <param name="name">Its name under the prefix.</param>
    /// <param name="tensor">The tensor.</param>
    public void Write(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        _entries.Add(new(LayerPath.Join(Prefix, name), tensor));
    }

    /// <summary>Writes one tensor per parameter, under <paramref name="name"/> then the parameter's name.</summary>
    /// <param name="name">The group's name (<c>exp_avg</c>).</param>
    /// <param name="tensors">The tensors by parameter name.</param>
    public void Write(string name, NamedTensors tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var (parameter, tensor) in tensors)
            Write(LayerPath.Join(name, parameter), tensor);
    }

    /// <summary>Writes a step count as an int64 scalar.</summary>
    /// <param name="name">Its name under the prefix.</param>
    /// <param name="count">The count.</param>
    public void Write(string name, long count) => Write(name, Tensor.FromArray(new[] { count }).Reshape(Shape.Scalar));

    /// <summary>Writes a real number as a float64 scalar.</summary>
    /// <param name="name">Its name under the prefix.</param>
    /// <param name="value">The number.</param>
    public void Write(string name, double value) => Write(name, Tensor.Scalar(value, DType.Float64));
}
