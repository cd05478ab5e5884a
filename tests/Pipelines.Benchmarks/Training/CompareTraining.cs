using System.Globalization;
using System.Runtime;
using System.Text.Json.Nodes;
using Pipelines.Benchmarks.Serving;
using Pipelines.Kernels.Threading;

namespace Pipelines.Benchmarks.Training;

/// <summary>
/// <c>compare-training</c>: one training step (gradients + optimizer step) of ours and of PyTorch 1.13 in one run, for SGD
/// and AdamW at batch 64 and 256 on 1 and 2 threads, plus the digits main-job recipe end to end. Ours runs with the
/// GC settings an app gets by default; PyTorch with <c>OMP_WAIT_POLICY=PASSIVE</c> and OpenBLAS at its best kernel.
/// Each step row also gives both sides as a fraction of the roofline, the step's matrix products at the FMA peak measured
/// at the start of the run. Besides time, ours reports the bytes a step allocates and the gen-2 collections per 1,000
/// steps. The machines this runs on are shared, so both sides run in alternating rounds (<c>--rounds N</c>, default 3)
/// and each row is a median of rounds.
/// </summary>
internal static class CompareTraining
{
    private const int CountedSteps = 1000;

    public static int Run(string[] args)
    {
        var threadCounts = args.Contains("--one-thread") ? new[] { 1 } : new[] { 1, 2 };
        var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(3);
        var named = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)).ToHashSet();
        var cases = TrainingCase.All.Where(c => named.Count == 0 || named.Contains(c.Name)).ToList();
        var digits = named.Count == 0 || named.Contains("digits_train");
        var (peak, _) = FmaPeak.Measure();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FMA peak {peak:F1} GF/s per thread; GC: {(GCSettings.IsServerGC ? "server" : "workstation")}, LOH threshold {GC.GetConfigurationVariables().GetValueOrDefault("LOHThreshold") ?? "default"}; {rounds} rounds, ours and the reference alternating, medians"));
        var ours = new Dictionary<(string, int), List<double>>();
        var theirs = new Dictionary<(string, int), List<double>>();
        var memory = new Dictionary<(string, int), (double Allocated, double Gen2)>();
        var accuracy = new Dictionary<int, double>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var threads in threadCounts)
            {
                foreach (var (name, us) in MeasureReference(cases, threads, digits))
                    Add(theirs, (name, threads), us);
                foreach (var c in cases)
                {
                    var (us, allocated, gen2) = MeasureStep(c, threads, countMemory: round == 0);
                    Add(ours, (c.Name, threads), us);
                    if (round == 0)
                        memory[(c.Name, threads)] = (allocated, gen2);
                }
                if (digits)
                {
                    var (elapsed, testAccuracy) = WithThreads(threads, DigitsRecipe.Run);
                    Add(ours, ("digits_train", threads), elapsed.TotalMicroseconds);
                    accuracy[threads] = testAccuracy;
                    // The same recipe through the dataflow trainer, against the plain loop just timed: 1 worker with
                    // every kernel thread, or one micro-batch per thread on 1 worker and on as many workers as threads.
                    foreach (var (workers, microBatches) in GraphCases(threads))
                    {
                        var graph = WithThreads(threads, () => DigitsRecipe.RunGraph(workers, microBatches));
                        Add(ours, (GraphCase(workers, microBatches), threads), graph.Elapsed.TotalMicroseconds);
                        Add(theirs, (GraphCase(workers, microBatches), threads), elapsed.TotalMicroseconds);
                    }
                }
            }
        }
        var serving = named.Count == 0 || named.Any(n => n.Contains("serve", StringComparison.Ordinal))
            ? threadCounts.ToDictionary(t => t, t => WithThreads(t, () => (Throughput: ServingBenchmark.Throughput(), Latency: Rates.Select(r => (Rate: r, Percentiles: ServingBenchmark.Latency(r))).ToList())))
            : [];
        Console.WriteLine($"{"case",-22} {"thr",3} {"ours µs",10} {"ref µs",10} {"ratio",6} {"ours roof",9} {"ref roof",8} {"alloc KB/step",13} {"gen2/1000",9}");
        var rows = new List<JsonObject>();
        foreach (var threads in threadCounts)
        {
            foreach (var name in cases.Select(c => c.Name).Concat(digits ? ["digits_train", .. GraphCases(threads).Select(c => GraphCase(c.Workers, c.MicroBatches))] : []))
            {
                var (allocated, gen2) = memory.TryGetValue((name, threads), out var m) ? m : (double.NaN, double.NaN);
                // A step's products at the FMA peak of the threads used: the time no step can beat.
                var roofline = cases.FirstOrDefault(c => c.Name == name) is { } stepCase ? stepCase.ProductFlops / (peak * threads * 1e3) : double.NaN;
                var row = Row(name, threads, Timing.Median(ours[(name, threads)]), theirs.TryGetValue((name, threads), out var r) ? Timing.Median(r) : double.NaN, allocated, gen2, roofline);
                if (name == "digits_train")
                    row["accuracy"] = Math.Round(accuracy[threads], 4);
                rows.Add(row);
            }
            if (serving.TryGetValue(threads, out var serve))
            {
                rows.Add(Row("serve_throughput", threads, serve.Throughput.Pipeline, serve.Throughput.OneAtATime, double.NaN, double.NaN));
                foreach (var (rate, (p50, p99, contract)) in serve.Latency)
                {
                    var row = Row($"serve_poisson_{rate / 1000:0}k_p99", threads, p99, contract, double.NaN, double.NaN);
                    (row["p50_us"], row["p99_us"], row["contract_us"], row["requests_per_second"]) = (Math.Round(p50, 1), Math.Round(p99, 1), Math.Round(contract, 1), rate);
                    rows.Add(row);
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine("ours: Gradients.ValueAndGrad + optimizer.Step, as the README's loop; ref: zero_grad, forward, loss, backward,");
        Console.WriteLine("      step. digits_train: the whole 100-epoch recipe, µs in total. ratio = ref_us / ours_us.");
        Console.WriteLine("roof: the step's matrix products at the FMA peak of the threads used (roofline_us), as a fraction of the");
        Console.WriteLine("      step's time: how close a step is to the time no step can beat.");
        Console.WriteLine("digits_graph_wN_mM: the recipe through the dataflow trainer with N gradient workers and M micro-batches (ours)");
        Console.WriteLine("      against the plain loop of digits_train in the same round (ref), so ratio = plain loop time / graph time;");
        Console.WriteLine("      w1_mM against wM_mM is what raising Workers alone buys.");
        Console.WriteLine("serve_throughput: µs per example through the inference pipeline (ours) against one-at-a-time forward calls");
        Console.WriteLine("      (ref). serve_poisson_Nk_p99: the 99th-percentile latency at N thousand requests/s arriving as a Poisson");
        Console.WriteLine("      process (ours) against the contract, the batch delay (to within 0.5 ms) plus one full batch's forward pass");
        Console.WriteLine("      (ref); ratio ≥ 1 means the contract held. Their JSON rows add p50_us, p99_us and contract_us.");
        Console.WriteLine();
        foreach (var row in rows)
            Console.WriteLine(row.ToJsonString(PythonReference.Printing));
        return 0;
    }

    /// <summary>Poisson arrival rates for the latency rows, requests per second.</summary>
    private static readonly double[] Rates = [2_000, 10_000, 30_000];

    /// <summary>The graph's runs on <paramref name="threads"/> threads: one worker and one micro-batch, then, with more threads, one micro-batch per thread on one worker and on one worker each.</summary>
    private static IEnumerable<(int Workers, int MicroBatches)> GraphCases(int threads) =>
        threads == 1 ? [(1, 1)] : [(1, 1), (1, threads), (threads, threads)];

    private static string GraphCase(int workers, int microBatches) => $"digits_graph_w{workers}_m{microBatches}";

    private static void Add(Dictionary<(string, int), List<double>> samples, (string, int) key, double value)
    {
        if (!samples.TryGetValue(key, out var list))
            samples[key] = list = [];
        list.Add(value);
    }

    private static string Fraction(double part, double whole) => double.IsNaN(part) || double.IsNaN(whole) ? string.Empty : (part / whole).ToString("P0", CultureInfo.InvariantCulture);

    private static JsonObject Row(string name, int threads, double ours, double reference, double allocated, double gen2, double roofline = double.NaN)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-22} {threads,3} {ours,10:F1} {reference,10:F1} {reference / ours,6:F3} {Fraction(roofline, ours),9} {Fraction(roofline, reference),8} {allocated / 1024,13:F1} {gen2,9:F2}"));
        return new JsonObject
        {
            ["case"] = name,
            ["threads"] = threads,
            ["ours_us"] = Math.Round(ours, 1),
            ["ref_us"] = double.IsNaN(reference) ? null : Math.Round(reference, 1),
            ["ratio"] = double.IsNaN(reference) ? null : Math.Round(reference / ours, 3),
            ["roofline_us"] = double.IsNaN(roofline) ? null : Math.Round(roofline, 1),
            ["allocated_bytes_per_step"] = double.IsNaN(allocated) ? null : Math.Round(allocated),
            ["gen2_per_1000_steps"] = double.IsNaN(gen2) ? null : gen2,
        };
    }

    /// <summary>Median µs per step; then, when asked, bytes allocated per step and gen-2 collections over 1,000 further steps.</summary>
    private static (double Microseconds, double Allocated, double Gen2) MeasureStep(TrainingCase c, int threads, bool countMemory) => WithThreads(threads, () =>
    {
        var setup = new TrainingSetup(c);
        var median = Timing.MedianMicroseconds(() => setup.Step(), budgetSeconds: 2);
        if (!countMemory)
            return (median, double.NaN, double.NaN);
        var (bytes, collections) = (GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(2));
        for (var i = 0; i < CountedSteps; i++)
            setup.Step();
        var allocated = (double)(GC.GetTotalAllocatedBytes(precise: true) - bytes) / CountedSteps;
        return (median, allocated, (double)(GC.CollectionCount(2) - collections) * 1000 / CountedSteps);
    });

    private static T WithThreads<T>(int threads, Func<T> measure)
    {
        var previous = ThreadBudget.MaxThreads;
        ThreadBudget.MaxThreads = threads;
        try
        {
            return measure();
        }
        finally
        {
            ThreadBudget.MaxThreads = previous;
        }
    }

    /// <summary>PyTorch's medians by case name, or none (with a message saying how to install it) when it is missing.</summary>
    private static Dictionary<string, double> MeasureReference(IReadOnlyList<TrainingCase> cases, int threads, bool digits)
    {
        var request = new JsonObject
        {
            ["threads"] = threads,
            ["cases"] = new JsonArray([.. cases.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["batch"] = c.Batch,
                ["widths"] = new JsonArray([.. c.Widths.Select(w => (JsonNode)w)]),
                ["optimizer"] = c.Optimizer,
                ["budget"] = 2.0,
            })]),
            ["digits"] = digits ? DigitsRecipe.DataPath : null,
        };
        var environment = new Dictionary<string, string> { ["OMP_WAIT_POLICY"] = "PASSIVE" };
        return PythonReference.Run("torch_training.py", request, environment, "apt-get install python3-torch python3-numpy libopenblas0-pthread")
            .ToDictionary(row => (string)row["case"]!, row => (double)row["us"]!);
    }
}
