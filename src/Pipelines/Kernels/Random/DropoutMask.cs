using Pipelines.Tensors;

namespace Pipelines.Kernels;

/// <summary>
/// Dropout's keep-mask: element i is 1/(1 − p) where the i-th uniform draw of the key is at least p, else 0. The draw
/// is the same 24-bit (float32) or 53-bit (float64) uniform as <see cref="Tensor.Uniform"/>, so element i depends only
/// on the key and i.
/// </summary>
public static class DropoutMask
{
    /// <summary>The mask for <paramref name="shape"/> with drop probability <paramref name="p"/> in [0, 1] (all zeros at p = 1, as PyTorch).</summary>
    /// <param name="key">The key of the layer's draw.</param>
    /// <param name="shape">The shape of the input.</param>
    /// <param name="p">The probability of dropping an element.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Create(Key key, Shape shape, double p, DType dtype)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout p must lie in [0, 1] but got {p}.");
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"A dropout mask is float32 or float64, not {dtype.Name()}.", nameof(dtype));
        if (p == 1)
            return Tensor.Zeros(shape, dtype);
        var units = GC.AllocateUninitializedArray<double>(shape.ElementCount);
        RandomBits.FillUnitInterval(key, dtype, units);
        var scale = 1 / (1 - p);
        for (var i = 0; i < units.Length; i++)
            units[i] = units[i] >= p ? scale : 0;
        return Tensor.FromDraws(units, shape, dtype);
    }
}
