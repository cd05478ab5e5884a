using System.Diagnostics;
using Pipelines.Examples.Commands;
using Xunit;

namespace Pipelines.Examples.Tests;

/// <summary>
/// The cluster example as separate processes: a coordinator and three silos on 127.0.0.1 (real TCP and Orleans
/// serialisation), the last silo killed with SIGKILL mid-run; the trained model must equal the one-process run's bitwise.
/// </summary>
public sealed class ClusterProcessTests
{
    [Fact]
    public async Task Three_silo_processes_one_killed_train_the_one_process_model()
    {
        var folder = Directory.CreateTempSubdirectory("pipelines-cluster-");
        using var coordinator = new Process();
        try
        {
            coordinator.StartInfo = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { typeof(ClusterCommand).Assembly.Location, "cluster", "--silos", "3", "--kill-one", "--epochs", "2", "--plain", "--out", folder.FullName })
                coordinator.StartInfo.ArgumentList.Add(argument);
            coordinator.Start();
            var (output, errors) = (coordinator.StandardOutput.ReadToEndAsync(), coordinator.StandardError.ReadToEndAsync());
            using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
                await coordinator.WaitForExitAsync(limit.Token);
            var result = (await output).Split('\n').SingleOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
            Assert.True(result is not null, $"no RESULT line; exit {coordinator.ExitCode}: {await output}\n{await errors}");
            Assert.Contains("one killed at step", result);
            Assert.Contains("bitwise equal to one process: True", result);
            Assert.Equal(0, coordinator.ExitCode);
        }
        finally
        {
            if (!coordinator.HasExited)
                coordinator.Kill(entireProcessTree: true);
            folder.Delete(recursive: true);
        }
    }
}
