using System.Text.RegularExpressions;
using Xunit;

namespace Pipelines.Tests.Architecture;

/// <summary>
/// The folders of src/Pipelines depend on each other only as docs/architecture.md's table allows: each file's
/// references to <c>Pipelines.X</c> (usings, aliases, qualified names, crefs) and to sibling namespaces by their short
/// name are read from the source and checked against the table, which is read from the document itself.
/// </summary>
public sealed partial class DependencyTests
{
    /// <summary>docs/architecture.md's table: the folders each folder may use.</summary>
    private static readonly Dictionary<string, string[]> Allowed = ReadTable(File.ReadAllLines(Path.Combine(SourceTree.Root, "docs", "architecture.md")));

    /// <summary>The rows of the table under the heading "Which folder may use which": <c>| folder | may use |</c>.</summary>
    private static Dictionary<string, string[]> ReadTable(string[] lines)
    {
        var rows = lines.SkipWhile(l => !l.StartsWith("## Which folder may use which", StringComparison.Ordinal))
            .SkipWhile(l => !l.StartsWith('|')).Skip(2).TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .ToDictionary(cells => cells[1], cells => cells[2].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        return rows.Count > 0 ? rows : throw new InvalidOperationException("docs/architecture.md has no table under '## Which folder may use which'.");
    }

    [Fact]
    public void The_table_names_every_folder_of_the_library()
    {
        var folders = Directory.EnumerateDirectories(SourceTree.Library)
            .Where(d => Path.GetFileName(d) is not ("bin" or "obj") && Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories).Any())
            .Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(folders, Allowed.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_folder_uses_only_the_folders_the_design_allows()
    {
        var violations = Directory.EnumerateFiles(SourceTree.Library, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => Violations(Path.GetRelativePath(SourceTree.Library, f), File.ReadAllText(f)))
            .ToList();
        Assert.True(violations.Count == 0, "Dependencies the design forbids:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_check_reports_a_forbidden_edge_and_a_misplaced_file()
    {
        Assert.Equal(["Tensors/Shape.cs uses Layers (line 2)"], Violations("Tensors/Shape.cs", "namespace Pipelines.Tensors;\nusing Pipelines.Layers;\n"));
        Assert.Equal(["Losses/Loss.cs uses Layers (line 3)"], Violations("Losses/Loss.cs", "namespace Pipelines.Losses;\n\n/// <see cref=\"Layers.Linear\"/>\n"));
        Assert.Equal(["Layers/X.cs uses Autodiff (line 1)"], Violations("Layers/X.cs", "using Grad = Pipelines.Autodiff.Gradients;\nnamespace Pipelines.Layers;\n"));
        Assert.Equal(["Layers/X.cs declares namespace Pipelines.Optim, not Pipelines.Layers"], Violations("Layers/X.cs", "namespace Pipelines.Optim;\n"));
        Assert.Equal(["Stray.cs is in no folder of the design"], Violations("Stray.cs", "namespace Pipelines;\n"));
        Assert.Empty(Violations("Optim/Adam.cs", "using Pipelines.Autodiff;\nnamespace Pipelines.Optim;\nvar n = file.Tensors.Count; var l = chain.Layers;\n"));
    }

    /// <summary>Every reference in <paramref name="source"/> (a file at <paramref name="relativePath"/> under src/Pipelines) that the table forbids.</summary>
    private static List<string> Violations(string relativePath, string source)
    {
        var path = relativePath.Replace(Path.DirectorySeparatorChar, '/');
        var folder = path.Contains('/', StringComparison.Ordinal) ? path[..path.IndexOf('/', StringComparison.Ordinal)] : null;
        if (folder is null || !Allowed.TryGetValue(folder, out var allowed))
            return [$"{path} is in no folder of the design"];
        var found = new List<string>();
        var declared = NamespaceDeclaration().Match(source);
        if (declared.Success && declared.Groups[1].Value.Split('.')[0] != folder)
            found.Add($"{path} declares namespace Pipelines.{declared.Groups[1].Value}, not Pipelines.{folder}");
        var lines = source.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (NamespaceDeclaration().IsMatch(lines[i]))
                continue;
            var used = QualifiedReference().Matches(lines[i]).Select(m => m.Groups[1].Value)
                .Concat(ShortReference().Matches(lines[i]).Select(m => m.Groups[1].Value))
                .Distinct(StringComparer.Ordinal);
            foreach (var target in used.Where(t => t != folder && !allowed.Contains(t)))
                found.Add($"{path} uses {target} (line {i + 1})");
        }
        return found;
    }

    [GeneratedRegex(@"^\s*namespace\s+Pipelines\.([A-Za-z.]+)\s*[;{]", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    /// <summary><c>Pipelines.X</c> for any folder X, anywhere on the line.</summary>
    [GeneratedRegex(@"\bPipelines\.(Tensors|Kernels|Losses|Layers|Autodiff|Optim|IO|Diagnostics|Dataflow)\b")]
    private static partial Regex QualifiedReference();

    /// <summary>A sibling namespace by its short name (<c>Layers.Linear</c>) where it is not a member access (<c>file.Tensors</c>).</summary>
    [GeneratedRegex(@"(?<![\w.])(Tensors|Kernels|Losses|Layers|Autodiff|Optim|IO|Diagnostics|Dataflow)\.[A-Z]")]
    private static partial Regex ShortReference();
}
