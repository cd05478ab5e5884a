using System.Text.Json;
using Pipelines.IO;
using Xunit;

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

    /// <summary>The cases a file describes in its <c>cases</c> metadata (a JSON object of case name to description).</summary>
    public static Dictionary<string, JsonElement> Cases(string name) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Load(name).Metadata["cases"])!;

    /// <summary>The names of <see cref="Cases"/>, in order, as a theory's data.</summary>
    public static TheoryData<string> CaseNames(string name)
    {
        var data = new TheoryData<string>();
        foreach (var caseName in Cases(name).Keys.Order(StringComparer.Ordinal))
            data.Add(caseName);
        return data;
    }

    /// <summary>The case names of a file: the distinct prefixes before the first dot of its keys.</summary>
    public static IEnumerable<string> CasePrefixes(SafeTensorsFile file) =>
        file.Tensors.Keys.Where(k => k.Contains('.', StringComparison.Ordinal)).Select(k => k[..k.IndexOf('.', StringComparison.Ordinal)]).Distinct().Order(StringComparer.Ordinal);
}
