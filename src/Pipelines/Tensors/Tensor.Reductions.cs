using System.Numerics.Tensors;

namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    private const int WideningChunk = 1024;

    /// <summary>Sum of all elements as a 0-d tensor, accumulated in double.</summary>
    public Tensor Sum()
    {
        RequireFloatingPoint("Sum");
        return Scalar(SumAsDouble(), DType);
    }

    /// <summary>Mean of all elements as a 0-d tensor (NaN for an empty tensor, as in PyTorch).</summary>
    public Tensor Mean()
    {
        RequireFloatingPoint("Mean");
        return Scalar(SumAsDouble() / Count, DType);
    }

    /// <summary>Largest element as a 0-d tensor; NaN if any element is NaN, as in PyTorch.</summary>
    public Tensor Max()
    {
        RequireFloatingPoint("Max");
        if (Count == 0)
            throw new InvalidOperationException($"Max of an empty tensor (shape {Shape}) is undefined.");
        return DType == DType.Float32 ? Scalar(TensorPrimitives.Max(Span<float>()), DType) : Scalar(TensorPrimitives.Max(Span<double>()), DType);
    }

    /// <summary>Smallest element as a 0-d tensor; NaN if any element is NaN, as in PyTorch.</summary>
    public Tensor Min()
    {
        RequireFloatingPoint("Min");
        if (Count == 0)
            throw new InvalidOperationException($"Min of an empty tensor (shape {Shape}) is undefined.");
        return DType == DType.Float32 ? Scalar(TensorPrimitives.Min(Span<float>()), DType) : Scalar(TensorPrimitives.Min(Span<double>()), DType);
    }

    /// <summary>Largest entry along <paramref name="axis"/>, like <c>x.max(dim).values</c>: the first of equal maxima, NaN if there is one.</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1, like <c>keepdim=True</c>.</param>
    public Tensor Max(int axis, bool keepDim = false)
    {
        RequireFloatingPoint("Max");
        var values = Gather(axis, ArgMax(axis, keepDim: true));
        return keepDim ? values : values.Reshape(Shape.Reduced(axis, keep: false));
    }

    /// <summary>Sum along <paramref name="axis"/>, accumulated in double, like <c>x.sum(dim)</c>.</summary>
    /// <param name="axis">The axis to sum over; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1, like <c>keepdim=True</c>.</param>
    public Tensor Sum(int axis, bool keepDim = false) => ReduceAxis(axis, keepDim, divideByCount: false);

    /// <summary>Mean along <paramref name="axis"/>, like <c>x.mean(dim)</c>.</summary>
    /// <param name="axis">The axis to average over; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1, like <c>keepdim=True</c>.</param>
    public Tensor Mean(int axis, bool keepDim = false) => ReduceAxis(axis, keepDim, divideByCount: true);

    /// <summary>Σx² over all elements, accumulated in double (the squared Euclidean norm).</summary>
    public double SumOfSquares()
    {
        RequireFloatingPoint("SumOfSquares");
        return Accumulate(squares: true);
    }

    /// <summary>The sum of all elements in double.</summary>
    internal double SumAsDouble() => Accumulate(squares: false);

    /// <summary>Σx or Σx² in double: float32 is widened a chunk at a time, so no float32 rounding enters the sum.</summary>
    private double Accumulate(bool squares)
    {
        if (DType == DType.Float64)
            return squares ? TensorPrimitives.SumOfSquares(Span<double>()) : TensorPrimitives.Sum(Span<double>());
        var source = Span<float>();
        Span<double> chunk = stackalloc double[WideningChunk];
        var total = 0.0;
        for (var start = 0; start < source.Length; start += WideningChunk)
        {
            var part = source.Slice(start, Math.Min(WideningChunk, source.Length - start));
            var wide = chunk[..part.Length];
            TensorPrimitives.ConvertChecked<float, double>(part, wide);
            total += squares ? TensorPrimitives.SumOfSquares<double>(wide) : TensorPrimitives.Sum<double>(wide);
        }
        return total;
    }

    private Tensor ReduceAxis(int axis, bool keepDim, bool divideByCount)
    {
        RequireFloatingPoint(divideByCount ? "Mean" : "Sum");
        var (outer, extent, inner) = Shape.SplitAt(axis);
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
        return new Tensor(sums, 0, Shape.Reduced(axis, keepDim)).To(DType);
    }
}
