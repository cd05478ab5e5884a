using System.Globalization;
using System.Text.Json.Nodes;
using Pipelines.Kernels;
using Pipelines.Kernels.Gemm;
using Pipelines.Kernels.Threading;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks;

/// <summary>
/// <c>compare</c>: times our GEMM engine and numpy's OpenBLAS matmul on the same products in one run, 1 and 2 threads,
/// plus our Linear layer API, and prints a table and one JSON object per line. A shared machine's speed drifts, so the
/// two sides run in alternating rounds (<c>--rounds N</c>, default 3) and each row is a median of rounds. OpenBLAS
/// runs with <c>OPENBLAS_CORETYPE</c> removed (so it uses its best kernel) and <c>OPENBLAS_NUM_THREADS</c> = threads.
/// </summary>
internal static class Compare
{
    public static int Run(string[] args)
    {
        int? Value(string option) => args.SkipWhile(a => a != option).Skip(1).Select(a => (int?)int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault();
        var threadCounts = args.Contains("--one-thread") ? [1] : Value("--threads") is { } only ? [only] : new[] { 1, 2 };
        var rounds = Value("--rounds") ?? 3;
        var named = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] is not ("--rounds" or "--threads"))).ToHashSet();
        var cases = LinearCase.All.Where(c => named.Count == 0 || named.Contains(c.Name)).ToList();
        var (peak, _) = FmaPeak.Measure();
        var rows = new List<JsonObject>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FMA peak {peak:F1} GF/s per thread (float32, {VectorWidths.Best}); {rounds} rounds, OpenBLAS and ours alternating, medians"));
        Console.WriteLine($"{"case",-14} {"pass",-8} {"thr",3} {"ours µs",10} {"ref µs",10} {"ours GF/s",9} {"ref GF/s",9} {"ratio",6} {"of peak",7} {"layer µs",10}");
        foreach (var threads in threadCounts)
        {
            var measured = new List<(Dictionary<(string, bool), double> Reference, Dictionary<(string, bool), (double Engine, double Layer)> Ours)>();
            for (var round = 0; round < rounds; round++)
            {
                var reference = MeasureReference(cases, threads);
                var ours = cases.SelectMany(c => new[] { false, true }.Select(b => (Key: (c.Name, b), Time: MeasureOurs(c, threads, b)))).ToDictionary(r => r.Key, r => r.Time);
                measured.Add((reference, ours));
            }
            foreach (var c in cases)
            {
                foreach (var backward in new[] { false, true })
                {
                    var engine = Timing.Median(measured.Select(m => m.Ours[(c.Name, backward)].Engine));
                    var layer = Timing.Median(measured.Select(m => m.Ours[(c.Name, backward)].Layer));
                    var theirs = Timing.Median(measured.Select(m => m.Reference.TryGetValue((c.Name, backward), out var r) ? r : double.NaN));
                    var flops = c.Flops(backward);
                    var ofPeak = flops / engine / 1e3 / (peak * threads);
                    rows.Add(new JsonObject
                    {
                        ["case"] = c.Name + (backward ? "+backward" : string.Empty),
                        ["threads"] = threads,
                        ["ours_us"] = Math.Round(engine, 2),
                        ["ref_us"] = double.IsNaN(theirs) ? null : Math.Round(theirs, 2),
                        ["ours_gflops"] = Math.Round(flops / engine / 1e3, 1),
                        ["ref_gflops"] = double.IsNaN(theirs) ? null : Math.Round(flops / theirs / 1e3, 1),
                        ["ratio"] = double.IsNaN(theirs) ? null : Math.Round(theirs / engine, 3),
                        ["of_peak"] = Math.Round(ofPeak, 3),
                        ["layer_us"] = Math.Round(layer, 2),
                    });
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{c.Name,-14} {(backward ? "fwd+bwd" : "forward"),-8} {threads,3} {engine,10:F1} {theirs,10:F1} {flops / engine / 1e3,9:F1} {flops / theirs / 1e3,9:F1} {theirs / engine,6:F3} {ofPeak,7:P0} {layer,10:F1}"));
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine("ours: the GEMM engine into preallocated outputs (as numpy's matmul(out=)), with the weight packed once and");
        Console.WriteLine("      cached as a layer keeps it; dYᵀ·X packs both operands on every call. layer: Linear.Forward/Backward,");
        Console.WriteLine("      which also allocate their output tensors. of peak: ours against the FMA peak of the threads used.");
        Console.WriteLine();
        foreach (var row in rows)
            Console.WriteLine(row.ToJsonString(PythonReference.Printing));
        return 0;
    }

    /// <summary>
    /// Median microseconds of the engine on preallocated outputs with the layer's cached packed weight, and of the
    /// layer API. Forward is X·Wᵀ; forward+backward adds dY·W, dYᵀ·X and the bias gradient, as the reference does.
    /// </summary>
    private static (double Engine, double Layer) MeasureOurs(LinearCase c, int threads, bool backward)
    {
        var previous = ThreadBudget.MaxThreads;
        ThreadBudget.MaxThreads = threads;
        try
        {
            var key = new Key(0);
            var layer = new Linear(key.Fold(1), c.K, c.N);
            var x = Tensor.Normal(key.Fold(2), new Shape(c.InputShape));
            var dy = Tensor.Normal(key.Fold(3), new Shape([.. c.InputShape[..^1], c.N]));
            var (xs, dys) = (x.ToFloat32Array(), dy.ToFloat32Array());
            var (y, dx, dw) = (new float[c.M * c.N], new float[c.M * c.K], new float[c.N * c.K]);
            var options = new GemmOptions(Threads: threads);
            var engine = backward
                ? Timing.MedianMicroseconds(() =>
                {
                    Products.WithWeightInto<float>(xs, c.M, layer.Weight, transposed: true, null, y);
                    Products.WithWeightInto<float>(dys, c.M, layer.Weight, transposed: false, null, dx);
                    Gemm.TransposeMultiply<float>(dys, c.N, xs, c.K, dw, c.K, c.N, c.K, c.M, options: options);
                    Linear.BiasGradient(dy);
                })
                : Timing.MedianMicroseconds(() => Products.WithWeightInto<float>(xs, c.M, layer.Weight, transposed: true, null, y));
            var api = backward
                ? Timing.MedianMicroseconds(() =>
                {
                    layer.Forward(x);
                    layer.Backward(x, dy);
                })
                : Timing.MedianMicroseconds(() => layer.Forward(x));
            return (engine, api);
        }
        finally
        {
            ThreadBudget.MaxThreads = previous;
        }
    }

    /// <summary>numpy's medians by (case, backward), or none when python3 with numpy is not installed.</summary>
    private static Dictionary<(string, bool), double> MeasureReference(IReadOnlyList<LinearCase> cases, int threads)
    {
        var request = new JsonArray([.. cases.SelectMany(c => new[] { false, true }.Select(b => (JsonNode)new JsonObject { ["name"] = c.Name, ["m"] = c.M, ["k"] = c.K, ["n"] = c.N, ["backward"] = b }))]);
        var environment = new Dictionary<string, string> { ["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture) };
        return PythonReference.Run("numpy_linear.py", request, environment, "apt-get install python3-numpy libopenblas0-pthread")
            .ToDictionary(row => ((string)row["case"]!, (bool)row["backward"]!), row => (double)row["us"]!);
    }
}
