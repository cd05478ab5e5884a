namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Independent draws from U(<paramref name="low"/>, <paramref name="high"/>), like <c>torch.empty(shape).uniform_(low, high)</c>,
    /// determined by <paramref name="key"/> alone: element i depends only on the key and i.
    /// </summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="low">The lower bound (inclusive).</param>
    /// <param name="high">The upper bound.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Uniform(Key key, Shape shape, double low = 0, double high = 1, DType dtype = DType.Float32)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high)
            throw new ArgumentException($"Uniform needs finite low <= high but got low={low}, high={high}.", nameof(low));
        var units = GC.AllocateUninitializedArray<double>(shape.ElementCount);
        RandomBits.FillUnitInterval(key, dtype, units);
        for (var i = 0; i < units.Length; i++)
            units[i] = low + ((high - low) * units[i]);
        return FromDraws(units, shape, dtype);
    }

    /// <summary>
    /// Independent draws from N(<paramref name="mean"/>, <paramref name="std"/>²), like <c>torch.normal</c>, determined by
    /// <paramref name="key"/> alone: element i depends only on the key and i.
    /// </summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Normal(Key key, Shape shape, double mean = 0, double std = 1, DType dtype = DType.Float32)
    {
        if (!double.IsFinite(mean) || !double.IsFinite(std) || std < 0)
            throw new ArgumentException($"Normal needs a finite mean and std >= 0 but got mean={mean}, std={std}.", nameof(std));
        var draws = GC.AllocateUninitializedArray<double>(shape.ElementCount);
        RandomBits.FillStandardNormal(key, draws);
        for (var i = 0; i < draws.Length; i++)
            draws[i] = mean + (std * draws[i]);
        return FromDraws(draws, shape, dtype);
    }

    /// <summary>Draws computed in double, rounded once to <paramref name="dtype"/>.</summary>
    internal static Tensor FromDraws(double[] draws, Shape shape, DType dtype)
    {
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"Random draws need float32 or float64 but got {dtype.Name()}.", nameof(dtype));
        return new Tensor(draws, 0, shape).To(dtype);
    }
}
