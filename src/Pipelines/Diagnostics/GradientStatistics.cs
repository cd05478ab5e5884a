using Pipelines.Layers;

namespace Pipelines.Diagnostics;

/// <summary>Statistics of one parameter's gradient, for watching training.</summary>
public sealed record GradientStatistics(string Name, double Mean, double Std, double Min, double Max, double Norm, int NaNCount, int InfinityCount)
{
    /// <summary>Statistics of every parameter of a gradient (finite elements only for mean, std, min, max and norm).</summary>
    public static IReadOnlyList<GradientStatistics> Of(Layer gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        return [.. gradient.NamedParameters().Select(p =>
        {
            var values = p.Value.ToFloat64Array();
            var finite = values.Where(double.IsFinite).ToArray();
            var mean = finite.Length == 0 ? double.NaN : finite.Average();
            var std = finite.Length == 0 ? double.NaN : Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / finite.Length);
            return new GradientStatistics(
                p.Key,
                mean,
                std,
                finite.Length == 0 ? double.NaN : finite.Min(),
                finite.Length == 0 ? double.NaN : finite.Max(),
                Math.Sqrt(finite.Sum(v => v * v)),
                values.Count(double.IsNaN),
                values.Count(double.IsInfinity));
        })];
    }
}
