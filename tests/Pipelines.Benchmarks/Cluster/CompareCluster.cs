using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipelines.Dataflow;
using Pipelines.Kernels.Threading;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Orleans;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Cluster;

/// <summary>
/// <c>compare-cluster [--silos 2,3] [--steps N]</c>: a training step of MLPs of about 0.2 M, 2 M and 20 M parameters
/// (batch 256, AdamW) on the cluster trainer with 2 and 3 local silo processes (one kernel thread each, one micro-batch
/// each, loopback TCP), beside the same step in one process and PyTorch 1.13's DistributedDataParallel with gloo on 2
/// processes (one thread each). Prints the bytes a step moves, the median step, and DDP's step over ours.
/// </summary>
internal static class CompareCluster
{
    private const int Batch = 256;
    private const int Examples = 2048;
    private const int WarmUp = 5;

    private static readonly (string Name, int[] Widths)[] Cases =
    [
        ("mlp_0.2M", [784, 256, 10]),
        ("mlp_2M", [784, 2048, 256, 10]),
        ("mlp_20M", [784, 4096, 4096, 10]),
    ];

    public static int Run(string[] args)
    {
        if (Value(args, "--silo") is { } silo)
            return RunSilo(int.Parse(silo, CultureInfo.InvariantCulture), Value(args, "--ports")!, int.Parse(Value(args, "--parent")!, CultureInfo.InvariantCulture)).GetAwaiter().GetResult();
        var siloCounts = (Value(args, "--silos") ?? "2,3").Split(',').Select(int.Parse).ToArray();
        var steps = int.Parse(Value(args, "--steps") ?? "20", CultureInfo.InvariantCulture);
        var cluster = siloCounts.ToDictionary(s => s, s => Measure(s, steps).GetAwaiter().GetResult());
        var alone = Cases.ToDictionary(c => c.Name, c => OneProcess(c.Widths, steps));
        var ddp = PythonReference.Run("torch_ddp.py", new JsonObject { ["world"] = 2, ["steps"] = steps, ["cases"] = new JsonArray([.. Cases.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["batch"] = Batch, ["widths"] = new JsonArray([.. c.Widths.Select(w => (JsonNode)w)]) })]) },
            new Dictionary<string, string> { ["OMP_WAIT_POLICY"] = "PASSIVE" }, "apt-get install python3-torch").ToDictionary(r => (string)r["case"]!, r => (double)r["us"]! / 1000);
        Console.WriteLine($"A step of batch {Batch} (AdamW); medians of {steps} steps after {WarmUp}; {Environment.ProcessorCount} cores");
        Console.WriteLine($"| case | parameters | {string.Join(" | ", siloCounts.Select(s => $"bytes/step, {s} silos"))} | {string.Join(" | ", siloCounts.Select(s => $"ours, {s} silos (ms)"))} | one process, 2 threads (ms) | DDP gloo, 2 processes (ms) | DDP / ours (2 silos) |");
        Console.WriteLine($"| --- | --- |{string.Concat(siloCounts.Select(_ => " --- |"))}{string.Concat(siloCounts.Select(_ => " --- |"))} --- | --- | --- |");
        foreach (var (name, widths) in Cases)
        {
            var parameters = Model(widths).ParameterCount();
            var reference = ddp.TryGetValue(name, out var d) ? d.ToString("F1", CultureInfo.InvariantCulture) : "–";
            var ratio = ddp.TryGetValue(name, out d) && cluster.TryGetValue(2, out var two) ? (d / two[name]).ToString("F2", CultureInfo.InvariantCulture) : "–";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {parameters:N0} | {string.Join(" | ", siloCounts.Select(s => $"{StepBytes(parameters, widths[^1], s) / 1e6:F1} MB"))} | {string.Join(" | ", siloCounts.Select(s => $"{cluster[s][name]:F1}"))} | {alone[name]:F1} | {reference} | {ratio} |"));
        }
        return 0;
    }

    /// <summary>What a step moves: the model version to each silo, and each micro-batch's gradient, output and targets back (float32 throughout).</summary>
    private static long StepBytes(long parameters, int classes, int silos) => (4 * parameters * silos) + (4 * parameters * silos) + (Batch * ((4 * classes) + 8));

    private static Chain Model(int[] widths)
    {
        var layers = new List<Layer>();
        for (var i = 0; i < widths.Length - 1; i++)
        {
            layers.Add(new Linear(new Key((ulong)i), widths[i], widths[i + 1]));
            if (i < widths.Length - 2)
                layers.Add(new ReLU());
        }
        return new Chain([.. layers]);
    }

    private static DataSource Data(int features, int classes)
    {
        var x = Tensor.Normal(new Key(11), new Shape(Examples, features));
        var targets = Tensor.FromArray([.. Enumerable.Range(0, Examples).Select(i => (long)(i * 7 % classes))], Examples);
        return DataSource.FromTensors(x, targets);
    }

    private static LossValue Loss(Tensor outputs, Tensor targets) => Losses.Loss.CrossEntropy(outputs, targets);

    private static TrainerOptions Options(int parts, int steps) => new() { BatchSize = Batch, Epochs = 1000, MicroBatches = parts, MaxSteps = WarmUp + steps };

    private static ClusterJob[] Jobs() => [.. Cases.Select(c => (ClusterJob)new ClusterJob<Chain>(c.Name, () => Model(c.Widths), () => Data(c.Widths[0], c.Widths[^1]), Loss))];

    private static double OneProcess(int[] widths, int steps)
    {
        var run = new Trainer<Chain>(Optimizers.AdamW(1e-3), Loss, Options(2, steps) with { Workers = 2 }).Train(Model(widths), Data(widths[0], widths[^1]), new Key(1));
        return MedianStep(run).GetAwaiter().GetResult();
    }

    private static async Task<Dictionary<string, double>> Measure(int silos, int steps)
    {
        var ports = FreePorts(2 * silos);
        var processes = Enumerable.Range(0, silos).Select(i => StartSilo(i, ports)).ToList();
        try
        {
            foreach (var process in processes)
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line && line != "ready")
                {
                }
            }
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.UseOrleansClient(client => client.UseLocalhostClustering([.. ports[silos..]]).AddPipelinesTraining());
            using var host = builder.Build();
            await host.StartAsync();
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            while ((await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count < silos)
                await Task.Delay(100);
            var medians = new Dictionary<string, double>();
            foreach (var (name, widths) in Cases)
            {
                var job = new ClusterJob<Chain>(name, () => Model(widths), () => Data(widths[0], widths[^1]), Loss);
                var run = await new ClusterTrainer<Chain>(grains, job, Optimizers.AdamW(1e-3), Options(silos, steps), new ClusterTrainerOptions { Assign = (_, part, _) => part }).TrainAsync(Model(widths), new Key(1));
                medians[name] = await MedianStep(run);
            }
            await host.StopAsync();
            return medians;
        }
        finally
        {
            foreach (var process in processes.Where(p => !p.HasExited))
                process.Kill();
        }
    }

    /// <summary>The median time between step reports after the warm-up steps, in milliseconds.</summary>
    private static async Task<double> MedianStep(TrainingRun<Chain> run)
    {
        var ends = new List<TimeSpan>();
        await foreach (var report in run.Reports.OfType<StepReport>())
            ends.Add(report.Elapsed);
        await run.Completion;
        var gaps = ends.Skip(WarmUp - 1).Zip(ends.Skip(WarmUp), (a, b) => (b - a).TotalMilliseconds).Order().ToList();
        return gaps[gaps.Count / 2];
    }

    private static Process StartSilo(int index, int[] ports)
    {
        var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { typeof(CompareCluster).Assembly.Location, "compare-cluster", "--silo", $"{index}", "--ports", string.Join(",", ports), "--parent", $"{Environment.ProcessId}" })
            start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    /// <summary>One silo process: one kernel thread (the silos share the machine's cores), the cases' jobs; it ends with its parent.</summary>
    private static async Task<int> RunSilo(int index, string portList, int parent)
    {
        ThreadBudget.MaxThreads = 1;
        var ports = portList.Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var silos = ports.Length / 2;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort: ports[index], gatewayPort: ports[silos + index], primarySiloEndpoint: new IPEndPoint(IPAddress.Loopback, ports[0]))
            .AddPipelinesTraining(Jobs()));
        using var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine("ready");
        using var watched = Process.GetProcessById(parent);
        await watched.WaitForExitAsync();
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

    private static string? Value(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
}
