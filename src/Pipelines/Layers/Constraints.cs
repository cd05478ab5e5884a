using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>Projections applied to a model after an optimizer step.</summary>
public static class Constraints
{
    /// <summary>
    /// Every 2-D parameter whose name <paramref name="select"/> accepts (by default every <c>weight</c>) with each row
    /// (one output unit's incoming weights) rescaled to Euclidean norm at most <paramref name="maxNorm"/>; rows within it are untouched.
    /// </summary>
    /// <typeparam name="TLayer">The model's type.</typeparam>
    /// <param name="model">The model.</param>
    /// <param name="maxNorm">The largest norm a row may keep.</param>
    /// <param name="select">Which parameters, by name; null for every weight.</param>
    public static TLayer MaxNorm<TLayer>(TLayer model, double maxNorm, Func<string, bool>? select = null)
        where TLayer : Layer
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "A max-norm constraint needs max_norm > 0.");
        select ??= name => name.EndsWith("weight", StringComparison.Ordinal);
        return (TLayer)model.MapParameters((name, w) =>
        {
            if (!select(name) || w.Rank != 2)
                return w;
            var norms = (w * w).Sum(1, keepDim: true).Sqrt().ToFloat64Array();
            var scale = norms.Select(n => n > maxNorm ? maxNorm / n : 1.0).ToArray();
            return scale.All(s => s == 1) ? w : w * Tensor.FromSpan(scale, new Shape(scale.Length, 1)).To(w.DType);
        });
    }
}
