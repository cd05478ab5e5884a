using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Layers applied one after another, like <c>nn.Sequential</c>. Children are named 0, 1, … (so parameters are
/// <c>0.weight</c>, <c>2.bias</c>, exactly as in a PyTorch <c>state_dict</c>) or given names, as
/// <c>nn.Sequential(OrderedDict(...))</c> gives them (<c>encoder.0.weight</c>).
/// </summary>
public sealed record Chain : Layer
{
    /// <summary>A chain of the given layers named 0, 1, …, applied first to last.</summary>
    public Chain(params IEnumerable<Layer> layers)
        : this(layers.Select((layer, i) => (i.ToString(CultureInfo.InvariantCulture), layer)))
    {
    }

    private Chain(IEnumerable<(string Name, Layer Layer)> children)
    {
        var list = children.ToList();
        if (list.Any(c => c.Layer is null))
            throw new ArgumentException("A chain cannot hold a null layer.", nameof(children));
        var duplicate = list.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"A chain's children need distinct names but '{duplicate.Key}' is used {duplicate.Count()} times.", nameof(children));
        if (list.Any(c => c.Name.Length == 0 || c.Name.Contains('.', StringComparison.Ordinal)))
            throw new ArgumentException($"Child names must be non-empty and contain no '.', but got {string.Join(", ", list.Select(c => $"'{c.Name}'"))}.", nameof(children));
        Layers = [.. list.Select(c => c.Layer)];
        Names = [.. list.Select(c => c.Name)];
    }

    /// <summary>The layers, first applied first.</summary>
    public ImmutableArray<Layer> Layers { get; }

    /// <summary>The children's names, as their parameters' prefixes.</summary>
    public ImmutableArray<string> Names { get; }

    /// <summary>True when the children are named 0, 1, …, as <c>&gt;&gt;</c> names them.</summary>
    public bool IsIndexed => Names.Select((name, i) => name == i.ToString(CultureInfo.InvariantCulture)).All(ok => ok);

    /// <summary>A chain of named sub-networks, e.g. <c>Chain.Named(("encoder", encoder), ("decoder", decoder))</c>.</summary>
    public static Chain Named(params IEnumerable<(string Name, Layer Layer)> children)
    {
        ArgumentNullException.ThrowIfNull(children);
        return new Chain(children);
    }

    /// <summary>The child named <paramref name="name"/>.</summary>
    public Layer this[string name] => Names.IndexOf(name) is var i and >= 0
        ? Layers[i]
        : throw new KeyNotFoundException($"The chain has no child '{name}'; its children are {string.Join(", ", Names)}.");

    /// <summary>Prints as PyTorch prints a <c>Sequential</c>, one named layer per line.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("Chain(\n");
        for (var i = 0; i < Layers.Length; i++)
            text.Append("  (").Append(Names[i]).Append("): ").Append(Layers[i].ToString()!.Replace("\n", "\n  ", StringComparison.Ordinal)).Append('\n');
        return text.Append(')').ToString();
    }

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        var traces = ImmutableArray.CreateBuilder<Trace>(Layers.Length);
        var next = ImmutableArray.CreateBuilder<Layer>(Layers.Length);
        for (var i = 0; i < Layers.Length; i++)
        {
            var step = Layers[i].Run(x, context, LayerPath.Join(path, Names[i]));
            x = step.Output;
            traces.Add(step.Trace);
            next.Add(step.Next);
        }
        var unchanged = next.Select((layer, i) => ReferenceEquals(layer, Layers[i])).All(same => same);
        return new Traced(x, new CompositeTrace(traces.MoveToImmutable()), unchanged ? this : WithLayers(next.MoveToImmutable()));
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var children = Expect<CompositeTrace>(trace, "Chain", path).Children;
        if (children.Length != Layers.Length)
            throw new ArgumentException($"{LayerPath.Describe("Chain", path)} has {Layers.Length} layers but the trace has {children.Length}.", nameof(trace));
        var gradients = new Layer[Layers.Length];
        for (var i = Layers.Length - 1; i >= 0; i--)
            (dy, gradients[i]) = Layers[i].Backward(children[i], dy, LayerPath.Join(path, Names[i]));
        return (dy, WithLayers([.. gradients]));
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) =>
        Layers.SelectMany((layer, i) => layer.NamedParameters(LayerPath.Join(prefix, Names[i])));

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) =>
        WithLayers([.. Layers.Select((layer, i) => layer.MapParameters(LayerPath.Join(prefix, Names[i]), map))]);

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix) =>
        Layers.SelectMany((layer, i) => layer.NamedBuffers(LayerPath.Join(prefix, Names[i])));

    /// <inheritdoc/>
    protected internal override Layer MapBuffers(string prefix, Func<string, Tensor, Tensor> map) =>
        WithLayers([.. Layers.Select((layer, i) => layer.MapBuffers(LayerPath.Join(prefix, Names[i]), map))]);

    private Chain WithLayers(ImmutableArray<Layer> layers) => new(Names.Zip(layers, (name, layer) => (name, layer)));
}
