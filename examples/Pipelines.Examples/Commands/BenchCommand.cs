using System.Diagnostics;

namespace Pipelines.Examples.Commands;

/// <summary>
/// The comparison tables of the performance work in one place: the GEMM against numpy/OpenBLAS (<c>compare</c>), and
/// training steps, the digits recipe, the training graph and the inference pipeline against PyTorch and plain loops
/// (<c>compare-training</c>), each run from the benchmark project of this repository.
/// </summary>
public static class BenchCommand
{
    public const string Description = "the comparison tables (GEMM against OpenBLAS, training, graph and serving against PyTorch), run from tests/Pipelines.Benchmarks";

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("bench", line);
        var root = FindRoot();
        if (root is null)
        {
            output.Line("The benchmarks live in the repository (tests/Pipelines.Benchmarks); run this command from a clone of it.");
            return 2;
        }
        output.Line("References: apt-get install python3-torch python3-numpy libopenblas0-pthread (the tables leave their columns empty without them).");
        foreach (var table in line.Flag("training-only") ? new[] { "compare-training" } : ["compare", "compare-training"])
        {
            output.Line($"dotnet run -c Release --project tests/Pipelines.Benchmarks -- {table}");
            var start = new ProcessStartInfo("dotnet", ["run", "-c", "Release", "--project", Path.Combine(root, "tests", "Pipelines.Benchmarks"), "--", table]) { WorkingDirectory = root };
            using var process = Process.Start(start)!;
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
                return process.ExitCode;
        }
        output.Result("bench: the tables above; their JSON lines are the rows docs/performance.md quotes");
        return 0;
    }

    private static string? FindRoot()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pipelines.sln")))
                return directory.FullName;
        }
        return null;
    }
}
