using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A layer: an immutable record of parameters plus a pure forward function. Layers compose into
/// networks as values; parameters are named as PyTorch's <c>state_dict</c> names them
/// (<c>weight</c>, <c>0.bias</c>, <c>encoder.2.weight</c>).
/// </summary>
public abstract record Layer
{
    /// <summary>Applies the layer to <paramref name="x"/>.</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Forward(x, LayerPath.Root);
    }

    /// <summary>Every parameter with its <c>state_dict</c> name, in PyTorch's order.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters() => NamedParameters(LayerPath.Root);

    /// <summary>Every parameter tensor, in PyTorch's order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>The total number of parameter elements, like <c>sum(p.numel() for p in m.parameters())</c>.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Count);

    /// <summary>
    /// The same layer with every parameter replaced by <paramref name="map"/>(name, current value).
    /// The map must keep each parameter's shape and dtype; the result is checked like a new layer.
    /// </summary>
    public Layer MapParameters(Func<string, Tensor, Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return MapParameters(LayerPath.Root, map);
    }

    /// <summary>
    /// Sequential composition: <c>a &gt;&gt; b</c> applies <c>a</c> then <c>b</c>. Chains flatten, so
    /// <c>a &gt;&gt; b &gt;&gt; c</c> is <c>Chain(a, b, c)</c> with layers named 0, 1, 2 whichever way it is grouped.
    /// </summary>
    public static Chain operator >>(Layer first, Layer second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return new Chain([.. Flatten(first), .. Flatten(second)]);
    }

    /// <summary>The forward pass, naming the layer by <paramref name="path"/> in any error.</summary>
    protected internal abstract Tensor Forward(Tensor x, string path);

    /// <summary>The parameters named under <paramref name="prefix"/>.</summary>
    protected internal abstract IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix);

    /// <summary>The layer rebuilt with parameters mapped by their names under <paramref name="prefix"/>.</summary>
    protected internal abstract Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map);

    private static ImmutableArray<Layer> Flatten(Layer layer) => layer is Chain chain ? chain.Layers : [layer];
}
