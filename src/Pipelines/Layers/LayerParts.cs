using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// What a layer is made of, by name, in the spirit of Equinox's pytree flattening: its own trainable
/// <see cref="Parameters"/>, its own <see cref="Buffers"/> (saved state that is not trained, such as running
/// statistics) and its named <see cref="Children"/>. A layer lists its parts and rebuilds itself from new ones
/// (<see cref="Layer.Parts"/> and <c>Rebuild</c>); every traversal follows from that pair: state-dict names, the
/// parameter algebra, optimizers, taps, keys and summaries, for the library's layers and for yours alike.
/// </summary>
public sealed record LayerParts
{
    private readonly ImmutableArray<(string Name, Tensor Tensor)> _parameters = [];
    private readonly ImmutableArray<(string Name, Tensor Tensor)> _buffers = [];
    private readonly ImmutableArray<(string Name, Layer Layer)> _children = [];

    /// <summary>A layer with no parts: no parameters, buffers or children.</summary>
    public static LayerParts Empty { get; } = new();

    /// <summary>Own trainable tensors by local name (<c>weight</c>, <c>bias</c>), in PyTorch's registration order.</summary>
    public ImmutableArray<(string Name, Tensor Tensor)> Parameters
    {
        get => _parameters;
        init => _parameters = Checked(value, "parameter", static t => t is null);
    }

    /// <summary>Own saved, untrained tensors by local name (<c>running_mean</c>).</summary>
    public ImmutableArray<(string Name, Tensor Tensor)> Buffers
    {
        get => _buffers;
        init => _buffers = Checked(value, "buffer", static t => t is null);
    }

    /// <summary>Child layers by name (<c>0</c>, <c>encoder</c>, <c>fn</c>); their parameters are named under these prefixes.</summary>
    public ImmutableArray<(string Name, Layer Layer)> Children
    {
        get => _children;
        init => _children = Checked(value, "child", static l => l is null);
    }

    /// <summary>True when there is nothing to list.</summary>
    public bool IsEmpty => _parameters.IsEmpty && _buffers.IsEmpty && _children.IsEmpty;

    /// <summary>The parameter named <paramref name="name"/>, or an error listing the names there are.</summary>
    /// <param name="name">A local parameter name.</param>
    public Tensor Parameter(string name) => OptionalParameter(name) ?? throw Missing("parameter", name, _parameters.Select(p => p.Name));

    /// <summary>The parameter named <paramref name="name"/>, or null when there is none (an optional bias).</summary>
    /// <param name="name">A local parameter name.</param>
    public Tensor? OptionalParameter(string name) => Find(_parameters, name);

    /// <summary>The buffer named <paramref name="name"/>, or an error listing the names there are.</summary>
    /// <param name="name">A local buffer name.</param>
    public Tensor Buffer(string name) => Find(_buffers, name) ?? throw Missing("buffer", name, _buffers.Select(p => p.Name));

    /// <summary>The child named <paramref name="name"/> as <typeparamref name="TLayer"/>, or an error naming what is there.</summary>
    /// <typeparam name="TLayer">The child's type.</typeparam>
    /// <param name="name">The child's name.</param>
    public TLayer Child<TLayer>(string name)
        where TLayer : Layer
    {
        foreach (var (childName, layer) in _children)
        {
            if (childName == name)
            {
                return layer as TLayer
                    ?? throw new InvalidOperationException($"Child '{name}' is a {layer.GetType().Name}, not a {typeof(TLayer).Name}.");
            }
        }
        throw Missing("child", name, _children.Select(c => c.Name));
    }

    private static Tensor? Find(ImmutableArray<(string Name, Tensor Tensor)> entries, string name)
    {
        foreach (var (entryName, tensor) in entries)
        {
            if (entryName == name)
                return tensor;
        }
        return null;
    }

    private static KeyNotFoundException Missing(string what, string name, IEnumerable<string> names) =>
        new($"There is no {what} '{name}'; the {what} names are: {string.Join(", ", names.DefaultIfEmpty("(none)"))}.");

    private static ImmutableArray<(string Name, TValue Value)> Checked<TValue>(ImmutableArray<(string Name, TValue Value)> entries, string what, Func<TValue, bool> isNull)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in entries.IsDefault ? [] : entries)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
                throw new ArgumentException($"A {what} name must be non-empty and contain no '.', but got '{name}'.", nameof(entries));
            if (!seen.Add(name))
                throw new ArgumentException($"The {what} name '{name}' is used twice.", nameof(entries));
            if (isNull(value))
                throw new ArgumentException($"The {what} '{name}' is null.", nameof(entries));
        }
        return entries.IsDefault ? [] : entries;
    }
}
