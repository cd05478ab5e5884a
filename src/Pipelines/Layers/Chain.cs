using System.Collections.Immutable;
using System.Globalization;
using System.Text;
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
    /// <param name="layers">The layers, first applied first.</param>
    public Chain(params IEnumerable<Layer> layers)
        : this(Indexed(layers))
    {
    }

    private Chain(IEnumerable<(string Name, Layer Layer)> children)
    {
        var parts = new LayerParts { Children = [.. children] };
        Layers = [.. parts.Children.Select(c => c.Layer)];
        Names = [.. parts.Children.Select(c => c.Name)];
    }

    /// <summary>The layers, first applied first.</summary>
    public ImmutableArray<Layer> Layers { get; }

    /// <summary>The children's names, as their parameters' prefixes.</summary>
    public ImmutableArray<string> Names { get; }

    /// <summary>True when the children are named 0, 1, …, as <c>&gt;&gt;</c> names them.</summary>
    public bool IsIndexed => Names.Select((name, i) => name == i.ToString(CultureInfo.InvariantCulture)).All(ok => ok);

    /// <inheritdoc/>
    public override LayerParts Parts => new() { Children = [.. Names.Zip(Layers, (name, layer) => (name, layer))] };

    /// <summary>The child named <paramref name="name"/>.</summary>
    /// <param name="name">The child's name.</param>
    public Layer this[string name] => Names.IndexOf(name) is var i and >= 0
        ? Layers[i]
        : throw new KeyNotFoundException($"The chain has no child '{name}'; its children are {string.Join(", ", Names)}.");

    /// <summary>How many layers the chain holds.</summary>
    public int Count => Layers.Length;

    /// <summary>The layer at <paramref name="index"/>, first applied first, as <c>model[0]</c> in PyTorch (<c>model[^1]</c> is the last).</summary>
    /// <param name="index">The layer's place, from 0.</param>
    public Layer this[int index] => index >= 0 && index < Layers.Length
        ? Layers[index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"The chain has {Layers.Length} layers, at 0 to {Layers.Length - 1} (from the end: model[^1]), but index {index} was asked for.");

    /// <summary>A chain of named sub-networks, e.g. <c>Chain.Named(("encoder", encoder), ("decoder", decoder))</c>.</summary>
    /// <param name="children">The named children, first applied first; names must be distinct, non-empty and without '.'.</param>
    public static Chain Named(params IEnumerable<(string Name, Layer Layer)> children)
    {
        ArgumentNullException.ThrowIfNull(children);
        return new Chain(children);
    }

    /// <summary>Prints as PyTorch prints a <c>Sequential</c>, one named layer per line.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("Chain(\n");
        for (var i = 0; i < Layers.Length; i++)
            text.Append("  (").Append(Names[i]).Append("): ").Append(Layers[i].ToString()!.Replace("\n", "\n  ", StringComparison.Ordinal)).Append('\n');
        return text.Append(')').ToString();
    }

    /// <inheritdoc/>
    protected override Layer Rebuild(LayerParts parts) => new Chain(parts.Children);

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var traces = ImmutableArray.CreateBuilder<Trace>(Layers.Length);
        var next = new Layer[Layers.Length];
        for (var i = 0; i < Layers.Length; i++)
        {
            var step = Layers[i].Forward(x, context.Child(Names[i]));
            x = step.Output;
            traces.Add(step.Trace);
            next[i] = step.Next;
        }
        return new Traced(x, new CompositeTrace(traces.MoveToImmutable()), WithChildren(next));
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var children = Expect<CompositeTrace>(trace).Children;
        if (children.Length != Layers.Length)
            throw new ArgumentException($"{Describe(trace.Path)} has {Layers.Length} layers but the trace has {children.Length}.", nameof(trace));
        var gradients = new Layer[Layers.Length];
        Tensor? gradient = dy;
        for (var i = Layers.Length - 1; i >= 0; i--)
            (gradient, gradients[i]) = Layers[i].Backward(children[i], gradient!, inputGradient || i > 0);
        return (gradient, WithChildren(gradients));
    }

    private static IEnumerable<(string, Layer)> Indexed(IEnumerable<Layer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return layers.Select((layer, i) => (i.ToString(CultureInfo.InvariantCulture), layer));
    }
}
