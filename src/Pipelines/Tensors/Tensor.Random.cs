namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Independent draws from U(<paramref name="low"/>, <paramref name="high"/>), like <c>torch.empty(shape).uniform_(low, high)</c>,
    /// determined by <paramref name="key"/> alone.
    /// </summary>
    public static Tensor Uniform(Key key, Shape shape, double low = 0, double high = 1, DType dtype = DType.Float32)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high)
            throw new ArgumentException($"Uniform needs finite low <= high but got low={low}, high={high}.", nameof(low));
        var units = new double[shape.ElementCount];
        RandomBits.FillUnitInterval(key, dtype, units);
        return Draw(shape, dtype, i => low + ((high - low) * units[i]));
    }

    /// <summary>Independent draws from N(<paramref name="mean"/>, <paramref name="std"/>²), like <c>torch.normal</c>, determined by <paramref name="key"/> alone.</summary>
    public static Tensor Normal(Key key, Shape shape, double mean = 0, double std = 1, DType dtype = DType.Float32)
    {
        if (!double.IsFinite(mean) || !double.IsFinite(std) || std < 0)
            throw new ArgumentException($"Normal needs a finite mean and std >= 0 but got mean={mean}, std={std}.", nameof(std));
        return Draw(shape, dtype, i => mean + (std * RandomBits.StandardNormal(key, i)));
    }

    /// <summary>A tensor whose element i is <paramref name="value"/>(i), computed in double and rounded once to the dtype.</summary>
    internal static Tensor Draw(Shape shape, DType dtype, Func<long, double> value)
    {
        var count = shape.ElementCount;
        if (dtype == DType.Float32)
        {
            var data = GC.AllocateUninitializedArray<float>(count);
            for (var i = 0; i < count; i++)
                data[i] = (float)value(i);
            return new Tensor(data, 0, shape);
        }
        var wide = GC.AllocateUninitializedArray<double>(count);
        for (var i = 0; i < count; i++)
            wide[i] = value(i);
        return new Tensor(wide, 0, shape);
    }
}
