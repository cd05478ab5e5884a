using Pipelines.IO;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// Where the PyTorch reference files are: <c>PIPELINES_GOLDEN_DIR</c> when set (so the same suite runs on
/// files regenerated with another PyTorch, seed or shapes), else the copy shipped with the tests.
/// </summary>
internal static class GoldenFiles
{
    public const string DirectoryVariable = "PIPELINES_GOLDEN_DIR";

    public static string Directory => Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } dir
        ? dir
        : Path.Combine(AppContext.BaseDirectory, "Golden");

    public static SafeTensorsFile Load(string name)
    {
        var path = Path.Combine(Directory, name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Golden file '{name}' is not in '{Directory}' (set {DirectoryVariable} to choose another directory).", path);
        return SafeTensors.Load(path);
    }

    /// <summary>The case names of a file: the distinct prefixes before the first dot of its keys.</summary>
    public static IEnumerable<string> CasePrefixes(SafeTensorsFile file) =>
        file.Tensors.Keys.Where(k => k.Contains('.', StringComparison.Ordinal)).Select(k => k[..k.IndexOf('.', StringComparison.Ordinal)]).Distinct().Order(StringComparer.Ordinal);
}
