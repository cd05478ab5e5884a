using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>The generic traversal: every name, map and count follows from <see cref="Parts"/> and <see cref="Rebuild"/>.</summary>
public abstract partial record Layer
{
    /// <summary>This layer's own parameters and buffers and its named children; none unless the layer overrides it.</summary>
    public virtual LayerParts Parts => LayerParts.Empty;

    /// <summary>Every trainable parameter with its <c>state_dict</c> name, in PyTorch's order (a layer's own, then its children's).</summary>
    public NamedTensors NamedParameters() => new(Collect(LayerPath.Root, buffers: false));

    /// <summary>Every buffer (state that is saved but not trained, such as running statistics) with its name.</summary>
    public NamedTensors NamedBuffers() => new(Collect(LayerPath.Root, buffers: true));

    /// <summary>Every trainable parameter tensor, in PyTorch's order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Tensors;

    /// <summary>The total number of parameter elements, like <c>sum(p.numel() for p in m.parameters())</c>.</summary>
    public long ParameterCount() => NamedParameters().ElementCount;

    /// <summary>
    /// The same layer with every parameter replaced by <paramref name="map"/>(name, current value) and rebuilt, so the
    /// result is checked like a new layer. Unchanged where the map returns the same tensors.
    /// </summary>
    /// <param name="map">The replacement of each parameter, by its full name.</param>
    public Layer MapParameters(Func<string, Tensor, Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Map(LayerPath.Root, map, Kinds.Parameters);
    }

    /// <summary>The same layer with every buffer replaced by <paramref name="map"/>(name, current value).</summary>
    /// <param name="map">The replacement of each buffer, by its full name.</param>
    public Layer MapBuffers(Func<string, Tensor, Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Map(LayerPath.Root, map, Kinds.Buffers);
    }

    /// <summary>The same layer with every parameter and buffer replaced in one rebuild, so they may change together (a dtype, say).</summary>
    /// <param name="map">The replacement of each tensor, by its full name.</param>
    public Layer MapTensors(Func<string, Tensor, Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Map(LayerPath.Root, map, Kinds.Parameters | Kinds.Buffers);
    }

    /// <summary>
    /// The same layer with every float parameter and buffer converted to <paramref name="dtype"/> (integer buffers such as
    /// <c>num_batches_tracked</c> stay int64), like PyTorch's <c>model.to(dtype)</c> or <c>model.double()</c>.
    /// </summary>
    /// <param name="dtype">float32 or float64.</param>
    public Layer To(DType dtype)
    {
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"A model converts to float32 or float64, not {dtype.Name()}.", nameof(dtype));
        return MapTensors((_, t) => t.DType.IsFloatingPoint() ? t.To(dtype) : t);
    }

    /// <summary>
    /// This layer built anew from <paramref name="parts"/>: the same names as <see cref="Parts"/> lists, with new tensors
    /// or children. Layers that list parts must override it; the result is checked to be of this type with the same names.
    /// </summary>
    /// <param name="parts">New parts with this layer's names.</param>
    protected virtual Layer Rebuild(LayerParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return parts.IsEmpty
            ? this
            : throw new NotSupportedException($"{GetType().Name} lists parameters, buffers or children in Parts but does not override Rebuild, so it cannot be rebuilt with new ones.");
    }

    /// <summary>This layer with its children replaced in order (the same count), or this layer itself when every child is the same object.</summary>
    /// <param name="children">The new children, in the order of <see cref="LayerParts.Children"/>.</param>
    protected Layer WithChildren(IReadOnlyList<Layer> children)
    {
        ArgumentNullException.ThrowIfNull(children);
        var parts = Parts;
        if (children.Count != parts.Children.Length)
            throw new ArgumentException($"{GetType().Name} has {parts.Children.Length} children but {children.Count} were given.", nameof(children));
        var same = true;
        for (var i = 0; i < children.Count; i++)
            same &= ReferenceEquals(children[i], parts.Children[i].Layer);
        return same ? this : RebuildChecked(parts with { Children = [.. parts.Children.Select((c, i) => (c.Name, children[i]))] });
    }

    private IEnumerable<KeyValuePair<string, Tensor>> Collect(string prefix, bool buffers)
    {
        var parts = Parts;
        foreach (var (name, tensor) in buffers ? parts.Buffers : parts.Parameters)
            yield return new(LayerPath.Join(prefix, name), tensor);
        foreach (var (name, child) in parts.Children)
        {
            foreach (var entry in child.Collect(LayerPath.Join(prefix, name), buffers))
                yield return entry;
        }
    }

    private Layer Map(string prefix, Func<string, Tensor, Tensor> map, Kinds kinds)
    {
        var parts = Parts;
        if (parts.IsEmpty)
            return this;
        var changed = false;
        ImmutableArray<(string, Tensor)> MapOwn(ImmutableArray<(string Name, Tensor Tensor)> own, bool selected)
        {
            if (!selected)
                return own;
            var mapped = ImmutableArray.CreateBuilder<(string, Tensor)>(own.Length);
            foreach (var (name, tensor) in own)
            {
                var full = LayerPath.Join(prefix, name);
                var next = map(full, tensor) ?? throw new InvalidOperationException($"The map returned null for '{full}'.");
                changed |= !ReferenceEquals(next, tensor);
                mapped.Add((name, next));
            }
            return mapped.MoveToImmutable();
        }

        var parameters = MapOwn(parts.Parameters, kinds.HasFlag(Kinds.Parameters));
        var buffers = MapOwn(parts.Buffers, kinds.HasFlag(Kinds.Buffers));
        var children = ImmutableArray.CreateBuilder<(string, Layer)>(parts.Children.Length);
        foreach (var (name, child) in parts.Children)
        {
            var next = child.Map(LayerPath.Join(prefix, name), map, kinds);
            changed |= !ReferenceEquals(next, child);
            children.Add((name, next));
        }
        return changed ? RebuildChecked(parts with { Parameters = parameters, Buffers = buffers, Children = children.MoveToImmutable() }) : this;
    }

    /// <summary>Which of a layer's own tensors a map replaces.</summary>
    [Flags]
    private enum Kinds
    {
        Parameters = 1,
        Buffers = 2,
    }

    private protected Layer RebuildChecked(LayerParts parts)
    {
        var rebuilt = Rebuild(parts);
        if (rebuilt is null || rebuilt.GetType() != GetType())
            throw new InvalidOperationException($"{GetType().Name}.Rebuild returned a {rebuilt?.GetType().Name ?? "null"}; it must return a {GetType().Name}.");
        var after = rebuilt.Parts;
        if (!Names(after.Parameters).SequenceEqual(Names(parts.Parameters)) || !Names(after.Buffers).SequenceEqual(Names(parts.Buffers))
            || !after.Children.Select(c => c.Name).SequenceEqual(parts.Children.Select(c => c.Name)))
        {
            throw new InvalidOperationException($"{GetType().Name}.Rebuild changed the names of its parts: it was given [{Describe(parts)}] and lists [{Describe(after)}].");
        }
        return rebuilt;

        static IEnumerable<string> Names(ImmutableArray<(string Name, Tensor Tensor)> entries) => entries.Select(e => e.Name);
        static string Describe(LayerParts p) => string.Join(", ", p.Parameters.Select(e => e.Name).Concat(p.Buffers.Select(e => e.Name)).Concat(p.Children.Select(c => c.Name + "/")));
    }
}
