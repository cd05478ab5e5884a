using System.Diagnostics;

namespace Pipelines.Benchmarks;

/// <summary>
/// The comparison's clock: a warm-up of at least 0.2 s and 40 calls (so tiered compilation has promoted the code being timed), then
/// calls batched to at least 2 ms per sample, and the median of up to a second of samples.
/// </summary>
internal static class Timing
{
    /// <summary>
    /// Tiered compilation promotes a method after 30 calls (once calls have gone quiet for 100 ms), so an action slower
    /// than a few milliseconds is called this many times before timing, however long that takes.
    /// </summary>
    private const int WarmUpCalls = 40;

    public static double MedianMicroseconds(Action action, double budgetSeconds = 1.0, int minSamples = 7)
    {
        var warmUp = Stopwatch.StartNew();
        var calls = 0;
        do
        {
            action();
        }
        while (warmUp.Elapsed.TotalSeconds < 0.2 || ++calls < WarmUpCalls);
        var once = Stopwatch.StartNew();
        action();
        var inner = Math.Max(1, (int)(0.002 / Math.Max(once.Elapsed.TotalSeconds, 1e-7)));
        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (samples.Count < minSamples || (total.Elapsed.TotalSeconds < budgetSeconds && samples.Count < 200))
        {
            var sample = Stopwatch.StartNew();
            for (var i = 0; i < inner; i++)
                action();
            samples.Add(sample.Elapsed.TotalMicroseconds / inner);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }

    /// <summary>The middle of some measurements (the upper middle of an even count); NaN sorts first, so a missing one counts low.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
