namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Like <c>torch.allclose</c>: same shape and |a − b| ≤ atol + rtol·|b| for every element (compared in double,
    /// so tensors of different dtypes can be compared). Infinities are close only to themselves; NaN equals nothing unless <paramref name="equalNaN"/>.
    /// </summary>
    /// <param name="other">The tensor to compare with (its dtype may differ).</param>
    /// <param name="rtol">The relative tolerance.</param>
    /// <param name="atol">The absolute tolerance.</param>
    /// <param name="equalNaN">Whether NaN counts as equal to NaN.</param>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNaN = false)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Shape != other.Shape)
            return false;
        var a = ToFloat64Array();
        var b = other.ToFloat64Array();
        for (var i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) || double.IsNaN(b[i]))
            {
                if (!(equalNaN && double.IsNaN(a[i]) && double.IsNaN(b[i])))
                    return false;
            }
            else if (a[i] != b[i] && (double.IsInfinity(a[i]) || double.IsInfinity(b[i]) || !(Math.Abs(a[i] - b[i]) <= atol + (rtol * Math.Abs(b[i])))))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The largest |a − b| over all elements (0 for empty tensors); the shapes must be equal.</summary>
    /// <param name="other">A tensor of the same shape.</param>
    public double MaxAbsDifference(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Shape != other.Shape)
            throw new ArgumentException($"MaxAbsDifference needs equal shapes but got {Shape} and {other.Shape}.", nameof(other));
        var a = ToFloat64Array();
        var b = other.ToFloat64Array();
        var max = 0.0;
        for (var i = 0; i < a.Length; i++)
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
