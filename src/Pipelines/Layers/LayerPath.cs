namespace Pipelines.Layers;

/// <summary>Dotted paths of layers and parameters, as PyTorch's <c>state_dict</c> spells them.</summary>
internal static class LayerPath
{
    /// <summary>The path of the outermost layer.</summary>
    public const string Root = "";

    /// <summary><c>encoder</c> + <c>2</c> = <c>encoder.2</c>; the root adds nothing.</summary>
    public static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>How an error names a layer: <c>Linear '2'</c>, or just <c>Linear</c> at the root.</summary>
    public static string Describe(string kind, string path) => path.Length == 0 ? kind : $"{kind} '{path}'";
}
