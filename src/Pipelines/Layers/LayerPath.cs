namespace Pipelines.Layers;

/// <summary>Dotted paths of layers and parameters, as PyTorch's <c>state_dict</c> spells them (<c>encoder.2.weight</c>).</summary>
public static class LayerPath
{
    /// <summary>The path of the outermost layer.</summary>
    public const string Root = "";

    /// <summary><c>encoder</c> + <c>2</c> = <c>encoder.2</c>; the root adds nothing.</summary>
    /// <param name="prefix">The path so far.</param>
    /// <param name="name">The next name.</param>
    public static string Join(string prefix, string name)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(name);
        return prefix.Length == 0 ? name : prefix + "." + name;
    }

    /// <summary>How an error names a layer: <c>Linear '2'</c>, or just <c>Linear</c> at the root.</summary>
    /// <param name="kind">The layer's type name.</param>
    /// <param name="path">Its path.</param>
    public static string Describe(string kind, string path) => string.IsNullOrEmpty(path) ? kind : $"{kind} '{path}'";
}
