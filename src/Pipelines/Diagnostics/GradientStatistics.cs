using Pipelines.Layers;

namespace Pipelines.Diagnostics;

/// <summary>Statistics of one parameter's gradient, for watching training.</summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="Mean">The mean of its finite elements.</param>
/// <param name="Std">Their standard deviation (population).</param>
/// <param name="Min">The smallest finite element.</param>
/// <param name="Max">The largest finite element.</param>
/// <param name="Norm">The Euclidean norm of the finite elements.</param>
/// <param name="NaNCount">How many elements are NaN.</param>
/// <param name="InfinityCount">How many elements are infinite.</param>
public sealed record GradientStatistics(string Name, double Mean, double Std, double Min, double Max, double Norm, int NaNCount, int InfinityCount)
{
    /// <summary>Statistics of every parameter of a gradient (finite elements only for mean, std, min, max and norm).</summary>
    /// <param name="gradient">The gradient, a layer of the model's structure.</param>
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
