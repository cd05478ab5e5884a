using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Orleans;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// <c>cluster --silos N</c>: the digits recipe trained data-parallel across N local silo processes (Orleans on
/// 127.0.0.1, real TCP and serialisation), this process coordinating; <c>--kill-one</c> kills the last silo with SIGKILL
/// mid-run. Then the same run in one process, and the RESULT line says whether the two models are bitwise equal.
/// </summary>
public static class ClusterCommand
{
    public const string Description = "digits trained across local silo processes, bitwise the one-process run (--silos N, --kill-one, --epochs N)";

    private static readonly Key RunKey = new(2026);

    public static async Task<int> Run(CommandLine line)
    {
        if (line.Int("silo", -1) is var silo and >= 0)
            return await RunSilo(silo, line);
        var output = new Output("cluster", line);
        var (silos, epochs, kill) = (line.Int("silos", 3), line.Int("epochs", 3), line.Flag("kill-one"));
        if (silos < 1 || (kill && silos < 2))
        {
            Console.Error.WriteLine($"--silos must be at least {(kill ? "2 with --kill-one (the first silo is the cluster's primary)" : "1")}, but is {silos}.");
            return 1;
        }
        var ports = FreePorts(2 * silos);
        var processes = new List<Process>();
        try
        {
            for (var i = 0; i < silos; i++)
                processes.Add(StartSilo(i, ports));
            await Task.WhenAll(processes.Select(p => ReadyAsync(p, TimeSpan.FromSeconds(60))));
            output.Line($"{silos} silo processes up on 127.0.0.1 (silo ports {string.Join(", ", ports.Take(silos))}); coordinating from process {Environment.ProcessId}");
            using var client = await ConnectAsync(ports[silos..], silos);
            var trainer = new ClusterTrainer<Chain>(client.Services.GetRequiredService<IGrainFactory>(), Job(), Optimizer(epochs), Options(epochs));
            var clock = Stopwatch.StartNew();
            var run = await trainer.TrainAsync(DigitsCommand.Architecture(RunKey), RunKey);
            var steps = new List<TimeSpan>();
            var killedAt = (long?)null;
            await foreach (var report in run.Reports)
            {
                if (report is StepReport step)
                {
                    steps.Add(step.Elapsed);
                    if (kill && killedAt is null && step.Step == StepsPerEpoch)
                    {
                        processes[^1].Kill();
                        killedAt = step.Step;
                        output.Line($"step {step.Step}: killed silo {silos - 1} (process {processes[^1].Id}) with SIGKILL");
                    }
                }
                else if (report is EpochReport epoch)
                {
                    output.Line(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch.Epoch + 1}: loss {epoch.Metrics["loss"]:F4}"));
                }
            }
            var clustered = await run.Completion;
            var clusterTime = clock.Elapsed;
            clock.Restart();
            var (trainX, trainY, testX, testY) = DataSets.Digits();
            var alone = await new Trainer<Chain>(Optimizer(epochs), Loss, Options(epochs) with { Transform = DigitsCommand.Shift })
                .Train(DigitsCommand.Architecture(RunKey), DataSource.FromTensors(trainX, trainY), RunKey).Completion;
            var equal = clustered.Model.NamedParameters().Zip(alone.Model.NamedParameters()).All(p => p.First.Value.BitwiseEquals(p.Second.Value));
            var gaps = steps.Zip(steps.Skip(1), (a, b) => (b - a).TotalMilliseconds).Order().ToList();
            if (killedAt is not null && gaps.Count > 0)
                output.Line(string.Create(CultureInfo.InvariantCulture, $"the silo's death cost {gaps[^1] - gaps[gaps.Count / 2]:F0} ms: the slowest step took {gaps[^1]:F0} ms against a median of {gaps[gaps.Count / 2]:F1} ms"));
            output.Result(string.Create(CultureInfo.InvariantCulture,
                $"cluster: {clustered.Steps} steps on {silos} silos{(killedAt is null ? "" : $" (one killed at step {killedAt})")} in {clusterTime.TotalSeconds:F1} s, one process {clock.Elapsed.TotalSeconds:F1} s; test accuracy {DigitsCommand.Accuracy(clustered.Model, testX, testY):P1}; bitwise equal to one process: {equal}"));
            return equal ? 0 : 1;
        }
        finally
        {
            foreach (var process in processes.Where(p => !p.HasExited))
                process.Kill();
        }
    }

    /// <summary>The job every silo registers: the digits recipe's architecture, data, loss and augmentation.</summary>
    private static ClusterJob<Chain> Job() => new("digits", () => DigitsCommand.Architecture(new Key(0)), () =>
    {
        var (trainX, trainY, _, _) = DataSets.Digits();
        return DataSource.FromTensors(trainX, trainY);
    }, Loss, DigitsCommand.Shift);

    private static LossValue Loss(Tensor outputs, Tensor targets) => Losses.Loss.CrossEntropy(outputs, targets, labelSmoothing: 0.1);

    private const int StepsPerEpoch = (1347 + 31) / 32;

    private static GradientTransformation Optimizer(int epochs) => Optimizers.AdamW(Schedules.OneCycle(3e-3, epochs * StepsPerEpoch), weightDecay: 1e-4);

    /// <summary>The recipe's options with each batch in six micro-batches, so every silo has work in each step.</summary>
    private static TrainerOptions Options(int epochs) => new() { BatchSize = 32, Epochs = epochs, MicroBatches = 6, Metrics = [Metric.Accuracy] };

    private static Process StartSilo(int index, int[] ports)
    {
        // This assembly under the dotnet host, whatever started this process (the app host, dotnet, a test runner).
        var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { typeof(ClusterCommand).Assembly.Location, "cluster", "--silo", $"{index}", "--silos", $"{ports.Length / 2}", "--ports", string.Join(",", ports), "--parent", $"{Environment.ProcessId}" })
            start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    private static async Task ReadyAsync(Process silo, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (await silo.StandardOutput.ReadLineAsync(timeout.Token) is { } text)
        {
            if (text == "ready")
                return;
        }
        throw new InvalidOperationException($"Silo process {silo.Id} ended before it was ready.");
    }

    /// <summary>A client of the silos' gateways, once all <paramref name="silos"/> are in the membership table.</summary>
    private static async Task<IHost> ConnectAsync(int[] gateways, int silos)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client => client.UseLocalhostClustering([.. gateways]).AddPipelinesTraining());
        var host = builder.Build();
        await host.StartAsync();
        var management = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        for (var waited = 0; (await management.GetHosts(onlyActive: true)).Count < silos; waited++)
        {
            if (waited == 600)
                throw new TimeoutException($"Only {(await management.GetHosts(onlyActive: true)).Count} of {silos} silos joined within a minute.");
            await Task.Delay(100);
        }
        return host;
    }

    /// <summary>One silo: the cluster's primary when <paramref name="index"/> is 0; it stops by itself when its parent does.</summary>
    private static async Task<int> RunSilo(int index, CommandLine line)
    {
        var ports = line.String("ports", "").Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var silos = ports.Length / 2;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort: ports[index], gatewayPort: ports[silos + index], primarySiloEndpoint: new IPEndPoint(IPAddress.Loopback, ports[0]))
            // On one machine a silo that stops answering is dead: two missed one-second probes say so (the defaults suit real networks).
            .Configure<ClusterMembershipOptions>(membership => (membership.ProbeTimeout, membership.NumMissedProbesLimit) = (TimeSpan.FromSeconds(1), 2))
            .AddPipelinesTraining(Job()));
        using var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine("ready");
        using var parent = Process.GetProcessById(line.Int("parent", 0));
        await parent.WaitForExitAsync();
        await host.StopAsync(TimeSpan.FromSeconds(5));
        return 0;
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
