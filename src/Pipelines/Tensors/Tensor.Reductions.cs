using System.Numerics.Tensors;

namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements as a 0-d tensor, accumulated in double in row-major order.</summary>
    public Tensor Sum() => Scalar(Accumulate(static (acc, v) => acc + v, 0.0), DType);

    /// <summary>Mean of all elements as a 0-d tensor (NaN for an empty tensor, as in PyTorch).</summary>
    public Tensor Mean() => Scalar(Accumulate(static (acc, v) => acc + v, 0.0) / Count, DType);

    /// <summary>Largest element as a 0-d tensor; NaN if any element is NaN, as in PyTorch.</summary>
    public Tensor Max() => Count == 0
        ? throw new InvalidOperationException($"Max of an empty tensor (shape {Shape}) is undefined.")
        : Scalar(Accumulate(static (acc, v) => double.IsNaN(acc) || (!double.IsNaN(v) && v <= acc) ? acc : v, double.NegativeInfinity), DType);

    /// <summary>Smallest element as a 0-d tensor; NaN if any element is NaN, as in PyTorch.</summary>
    public Tensor Min() => Count == 0
        ? throw new InvalidOperationException($"Min of an empty tensor (shape {Shape}) is undefined.")
        : Scalar(Accumulate(static (acc, v) => double.IsNaN(acc) || (!double.IsNaN(v) && v >= acc) ? acc : v, double.PositiveInfinity), DType);

    /// <summary>Sum along <paramref name="axis"/> (negative counts from the end), accumulated in double, like <c>x.sum(dim)</c>.</summary>
    public Tensor Sum(int axis, bool keepDim = false) => ReduceAxis(axis, keepDim, divideByCount: false);

    /// <summary>Mean along <paramref name="axis"/>, like <c>x.mean(dim)</c>.</summary>
    public Tensor Mean(int axis, bool keepDim = false) => ReduceAxis(axis, keepDim, divideByCount: true);

    private double Accumulate(Func<double, double, double> step, double seed)
    {
        var acc = seed;
        if (DType == DType.Float32)
        {
            foreach (var v in Span<float>())
                acc = step(acc, v);
        }
        else
        {
            foreach (var v in Span<double>())
                acc = step(acc, v);
        }
        return acc;
    }

    private Tensor ReduceAxis(int axis, bool keepDim, bool divideByCount)
    {
        var a = Shape.NormalizeAxis(axis);
        var dims = Shape.Dims;
        var outer = new Shape(dims[..a]).ElementCount;
        var extent = dims[a];
        var inner = new Shape(dims[(a + 1)..]).ElementCount;
        var sums = new double[outer * inner];
        var widened = DType == DType.Float32 ? new double[inner] : null;
        for (var o = 0; o < outer; o++)
        {
            // Whole rows at a time, widened to double one row at a time: each output element still adds its inputs in index order.
            var row = sums.AsSpan(o * inner, inner);
            for (var e = 0; e < extent; e++)
            {
                var start = ((o * extent) + e) * inner;
                if (widened is null)
                {
                    TensorPrimitives.Add(row, Span<double>().Slice(start, inner), row);
                }
                else
                {
                    TensorPrimitives.ConvertChecked<float, double>(Span<float>().Slice(start, inner), widened);
                    TensorPrimitives.Add(row, widened, row);
                }
            }
        }
        if (divideByCount)
            TensorPrimitives.Divide(sums, extent, sums);
        var shape = keepDim
            ? new Shape([.. dims[..a], 1, .. dims[(a + 1)..]])
            : new Shape([.. dims[..a], .. dims[(a + 1)..]]);
        return new Tensor(sums, 0, shape).To(DType);
    }
}
