using System.Numerics;

namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// The index of the largest element along <paramref name="axis"/> as an int64 tensor, like <c>x.argmax(dim)</c>:
    /// the first of equal maxima, and the first NaN if there is one (PyTorch treats NaN as the largest value).
    /// </summary>
    /// <param name="axis">The axis to search; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1, like <c>keepdim=True</c>.</param>
    public Tensor ArgMax(int axis = -1, bool keepDim = false)
    {
        RequireFloatingPoint("ArgMax");
        var (outer, extent, inner) = Shape.SplitAt(axis);
        if (extent == 0)
            throw new ArgumentException($"ArgMax over axis {axis} of shape {Shape} is undefined: the axis is empty.", nameof(axis));
        var indices = DType == DType.Float32 ? IndicesOfMax(Span<float>(), outer, extent, inner) : IndicesOfMax(Span<double>(), outer, extent, inner);
        return new Tensor(indices, 0, Shape.Reduced(axis, keepDim));
    }

    private static long[] IndicesOfMax<T>(ReadOnlySpan<T> values, int outer, int extent, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var indices = new long[outer * inner];
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                var start = (o * extent * inner) + i;
                var best = values[start];
                var bestIndex = 0;
                for (var e = 1; e < extent && !T.IsNaN(best); e++)
                {
                    var value = values[start + (e * inner)];
                    if (value > best || T.IsNaN(value))
                        (best, bestIndex) = (value, e);
                }
                indices[(o * inner) + i] = bestIndex;
            }
        }
        return indices;
    }
}
