namespace Pipelines.Tests.Architecture;

/// <summary>The repository's source files, found from the test binaries by walking up to the solution file.</summary>
internal static class SourceTree
{
    public static string Root { get; } = FindRoot();

    public static string Library => Path.Combine(Root, "src", "Pipelines");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipelines.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Pipelines.sln above {AppContext.BaseDirectory}; the architecture tests read the sources.");
    }
}
