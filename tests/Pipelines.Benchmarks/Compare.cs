using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks;

/// <summary>
/// <c>compare</c>: times our Linear forward (and forward+backward) and numpy's OpenBLAS matmul on the same shapes
/// in one run, 1 and 2 threads, and prints a table and one JSON object per line. OpenBLAS runs with
/// <c>OPENBLAS_CORETYPE</c> removed (so it uses its best kernel) and <c>OPENBLAS_NUM_THREADS</c> = threads.
/// </summary>
internal static class Compare
{
    private const string Python = "/usr/bin/python3";

    public static int Run(string[] args)
    {
        var threadCounts = args.Contains("--one-thread") ? new[] { 1 } : new[] { 1, 2 };
        var cases = LinearCase.All.Where(c => args.Length == 0 || !args.Any(a => !a.StartsWith("--", StringComparison.Ordinal)) || args.Contains(c.Name)).ToList();
        var rows = new List<JsonObject>();
        Console.WriteLine($"{"case",-14} {"pass",-9} {"thr",3} {"ours µs",11} {"ref µs",11} {"ours GF/s",10} {"ref GF/s",10} {"ratio",7}");
        foreach (var threads in threadCounts)
        {
            var reference = MeasureReference(cases, threads);
            foreach (var c in cases)
            {
                foreach (var backward in new[] { false, true })
                {
                    var ours = MeasureOurs(c, threads, backward);
                    var theirs = reference.TryGetValue((c.Name, backward), out var r) ? r : double.NaN;
                    var row = new JsonObject
                    {
                        ["case"] = c.Name + (backward ? "+backward" : string.Empty),
                        ["threads"] = threads,
                        ["ours_us"] = Math.Round(ours, 2),
                        ["ref_us"] = double.IsNaN(theirs) ? null : Math.Round(theirs, 2),
                        ["ours_gflops"] = Math.Round(c.Flops(backward) / ours / 1e3, 1),
                        ["ref_gflops"] = double.IsNaN(theirs) ? null : Math.Round(c.Flops(backward) / theirs / 1e3, 1),
                        ["ratio"] = double.IsNaN(theirs) ? null : Math.Round(theirs / ours, 3),
                    };
                    rows.Add(row);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{c.Name,-14} {(backward ? "fwd+bwd" : "forward"),-9} {threads,3} {ours,11:F1} {theirs,11:F1} {c.Flops(backward) / ours / 1e3,10:F1} {c.Flops(backward) / theirs / 1e3,10:F1} {theirs / ours,7:F3}"));
                }
            }
        }
        Console.WriteLine();
        foreach (var row in rows)
            Console.WriteLine(row.ToJsonString());
        return 0;
    }

    /// <summary>Median microseconds of our forward (with the packed weight cached, as a layer runs) or forward+backward.</summary>
    private static double MeasureOurs(LinearCase c, int threads, bool backward)
    {
        var previous = ThreadBudget.MaxThreads;
        ThreadBudget.MaxThreads = threads;
        try
        {
            var key = new Key(0);
            var layer = new Linear(key.Fold(1), c.K, c.N);
            var x = Tensor.Normal(key.Fold(2), new Shape(c.InputShape));
            var dy = Tensor.Normal(key.Fold(3), new Shape([.. c.InputShape[..^1], c.N]));
            return backward
                ? Timing.MedianMicroseconds(() =>
                {
                    layer.Forward(x);
                    layer.Backward(x, dy);
                })
                : Timing.MedianMicroseconds(() => layer.Forward(x));
        }
        finally
        {
            ThreadBudget.MaxThreads = previous;
        }
    }

    /// <summary>numpy's medians by (case, backward), or none when python3 with numpy is not installed.</summary>
    private static Dictionary<(string, bool), double> MeasureReference(IReadOnlyList<LinearCase> cases, int threads)
    {
        var results = new Dictionary<(string, bool), double>();
        if (!File.Exists(Python))
        {
            Console.Error.WriteLine($"{Python} not found: reference columns are empty (apt-get install python3-numpy libopenblas0-pthread).");
            return results;
        }
        var start = new ProcessStartInfo(Python, Path.Combine(AppContext.BaseDirectory, "Reference", "numpy_linear.py"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var request = new JsonArray([.. cases.SelectMany(c => new[] { false, true }.Select(b => (JsonNode)new JsonObject { ["name"] = c.Name, ["m"] = c.M, ["k"] = c.K, ["n"] = c.N, ["backward"] = b }))]);
        process.StandardInput.Write(request.ToJsonString());
        process.StandardInput.Close();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            using var result = JsonDocument.Parse(line);
            var root = result.RootElement;
            results[(root.GetProperty("case").GetString()!, root.GetProperty("backward").GetBoolean())] = root.GetProperty("us").GetDouble();
        }
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            Console.Error.WriteLine($"numpy reference failed ({process.ExitCode}): {errors.Trim()}");
        return results;
    }
}
