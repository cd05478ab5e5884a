using System.Collections;
using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Tensors by name, in order: a model's parameters or buffers flattened (<c>0.weight</c>, <c>0.bias</c>, …), a gradient,
/// an optimizer's updates or moments. Names are distinct; lookup by name is constant time; it never changes.
/// </summary>
public sealed class NamedTensors : IReadOnlyList<KeyValuePair<string, Tensor>>
{
    private readonly Dictionary<string, int> _index;
    private readonly ImmutableArray<string> _names;
    private readonly ImmutableArray<Tensor> _tensors;

    /// <summary>Tensors by name, in the given order; names must be distinct and tensors non-null.</summary>
    /// <param name="entries">The entries.</param>
    public NamedTensors(IEnumerable<KeyValuePair<string, Tensor>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var names = ImmutableArray.CreateBuilder<string>();
        var tensors = ImmutableArray.CreateBuilder<Tensor>();
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, tensor) in entries)
        {
            ArgumentNullException.ThrowIfNull(name);
            if (tensor is null)
                throw new ArgumentException($"The tensor named '{name}' is null.", nameof(entries));
            if (!_index.TryAdd(name, names.Count))
                throw new ArgumentException($"The name '{name}' appears twice.", nameof(entries));
            names.Add(name);
            tensors.Add(tensor);
        }
        _names = names.ToImmutable();
        _tensors = tensors.ToImmutable();
    }

    /// <summary>No tensors.</summary>
    public static NamedTensors Empty { get; } = new([]);

    /// <summary>The names, in order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The tensors, in the order of <see cref="Names"/>.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <inheritdoc/>
    public int Count => _names.Length;

    /// <summary>The total number of elements.</summary>
    public long ElementCount => _tensors.Sum(t => (long)t.Count);

    /// <inheritdoc/>
    public KeyValuePair<string, Tensor> this[int index] => new(_names[index], _tensors[index]);

    /// <summary>The tensor named <paramref name="name"/>, or an error naming it.</summary>
    /// <param name="name">The name.</param>
    public Tensor this[string name] => TryGetValue(name, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"There is no tensor named '{name}' among the {Count} ({string.Join(", ", Names.Take(8))}{(Count > 8 ? ", …" : string.Empty)}).");

    /// <summary>Whether a tensor has this name.</summary>
    /// <param name="name">The name.</param>
    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>The tensor named <paramref name="name"/>, if any.</summary>
    /// <param name="name">The name.</param>
    /// <param name="tensor">The tensor, when found.</param>
    public bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor tensor)
    {
        if (_index.TryGetValue(name, out var i))
        {
            tensor = _tensors[i];
            return true;
        }
        tensor = null;
        return false;
    }

    /// <summary>Every tensor replaced by <paramref name="map"/>(name, tensor), same names and order.</summary>
    /// <param name="map">The replacement.</param>
    public NamedTensors Map(Func<string, Tensor, Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return new(_names.Select((name, i) => KeyValuePair.Create(name, map(name, _tensors[i]))));
    }

    /// <summary>The entries whose name <paramref name="select"/> accepts, in order.</summary>
    /// <param name="select">Which names to keep.</param>
    public NamedTensors Where(Func<string, bool> select)
    {
        ArgumentNullException.ThrowIfNull(select);
        return new(this.Where(e => select(e.Key)));
    }

    /// <summary>These entries, with those that <paramref name="replacements"/> names replaced by its tensors; order kept.</summary>
    /// <param name="replacements">Entries whose names must all be here.</param>
    public NamedTensors With(NamedTensors replacements)
    {
        ArgumentNullException.ThrowIfNull(replacements);
        var unknown = replacements._names.FirstOrDefault(n => !Contains(n));
        if (unknown is not null)
            throw new ArgumentException($"'{unknown}' replaces nothing: it is not among these names.", nameof(replacements));
        return Map((name, tensor) => replacements.TryGetValue(name, out var replacement) ? replacement : tensor);
    }

    /// <summary>
    /// <paramref name="combine"/>(name, a, b) for every entry of two collections with the same names in the same order
    /// and the same shapes; otherwise an error naming the first difference.
    /// </summary>
    /// <param name="left">The first collection; the result has its names.</param>
    /// <param name="right">The second collection.</param>
    /// <param name="combine">The combination.</param>
    public static NamedTensors Zip(NamedTensors left, NamedTensors right, Func<string, Tensor, Tensor, Tensor> combine)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        ArgumentNullException.ThrowIfNull(combine);
        if (left.StructureDifference(right, compareDTypes: false) is { } difference)
            throw new ArgumentException($"The two collections differ: {difference}.", nameof(right));
        return new(left._names.Select((name, i) => KeyValuePair.Create(name, combine(name, left._tensors[i], right._tensors[i]))));
    }

    /// <summary>
    /// The first way <paramref name="other"/> differs from these entries in names, order, shapes or (when asked) dtypes,
    /// described in words, or null when they agree.
    /// </summary>
    /// <param name="other">The entries to compare with.</param>
    /// <param name="compareDTypes">Whether dtypes must agree too.</param>
    public string? StructureDifference(NamedTensors other, bool compareDTypes = true)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < Math.Max(Count, other.Count); i++)
        {
            if (i >= other.Count)
                return $"'{Names[i]}' is missing from the second (it has {other.Count} entries, the first {Count})";
            if (i >= Count)
                return $"'{other.Names[i]}' is not in the first (it has {Count} entries, the second {other.Count})";
            if (Names[i] != other.Names[i])
                return $"entry {i} is '{Names[i]}' in the first and '{other.Names[i]}' in the second";
            var (a, b) = (Tensors[i], other.Tensors[i]);
            if (a.Shape != b.Shape)
                return $"'{Names[i]}' is {a.Shape} in the first and {b.Shape} in the second";
            if (compareDTypes && a.DType != b.DType)
                return $"'{Names[i]}' is {a.DType.Name()} in the first and {b.DType.Name()} in the second";
        }
        return null;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
            yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
