using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Layers applied one after another, like <c>nn.Sequential</c>: the i-th layer is named <c>i</c>, so
/// parameters are <c>0.weight</c>, <c>2.bias</c>, … exactly as in a PyTorch <c>state_dict</c>.
/// </summary>
public sealed record Chain : Layer
{
    /// <summary>A chain of the given layers, applied first to last.</summary>
    public Chain(params IEnumerable<Layer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layers = [.. layers];
        if (Layers.Any(l => l is null))
            throw new ArgumentException("A chain cannot hold a null layer.", nameof(layers));
    }

    /// <summary>The layers, first applied first.</summary>
    public ImmutableArray<Layer> Layers { get; }

    /// <summary>Prints as PyTorch prints a <c>Sequential</c>, one indexed layer per line.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("Chain(\n");
        for (var i = 0; i < Layers.Length; i++)
            text.Append("  (").Append(Name(i)).Append("): ").Append(Layers[i].ToString()!.Replace("\n", "\n  ", StringComparison.Ordinal)).Append('\n');
        return text.Append(')').ToString();
    }

    /// <inheritdoc/>
    protected internal override Tensor Forward(Tensor x, string path)
    {
        for (var i = 0; i < Layers.Length; i++)
            x = Layers[i].Forward(x, LayerPath.Join(path, Name(i)));
        return x;
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) =>
        Layers.SelectMany((layer, i) => layer.NamedParameters(LayerPath.Join(prefix, Name(i))));

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) =>
        new Chain(Layers.Select((layer, i) => layer.MapParameters(LayerPath.Join(prefix, Name(i)), map)));

    private static string Name(int index) => index.ToString(CultureInfo.InvariantCulture);
}
