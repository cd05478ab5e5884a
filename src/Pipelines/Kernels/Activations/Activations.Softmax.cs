using Primitives = System.Numerics.Tensors.TensorPrimitives;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

public static partial class Activations
{
    /// <summary>
    /// e^(x − max) / Σ e^(x − max) along <paramref name="axis"/> (default the last), computed in double, so no input
    /// overflows; a −∞ entry gets exactly 0. Like <c>F.softmax(x, dim)</c>.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="axis">The axis the probabilities sum to 1 along.</param>
    public static Tensor Softmax(Tensor x, int axis = -1) => AlongAxis(x, axis, logarithm: false);

    /// <summary>dx = y·(dy − Σ dy·y) along the axis, from the output y.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="axis">The axis the forward normalised along.</param>
    public static Tensor SoftmaxBackward(Tensor y, Tensor dy, int axis = -1) => BackwardAlongAxis(y, dy, axis, logarithm: false);

    /// <summary>x − max − log Σ e^(x − max) along <paramref name="axis"/>, in double. Like <c>F.log_softmax(x, dim)</c>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="axis">The axis to normalise along.</param>
    public static Tensor LogSoftmax(Tensor x, int axis = -1) => AlongAxis(x, axis, logarithm: true);

    /// <summary>dx = dy − e^y·Σ dy along the axis, from the output y.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="axis">The axis the forward normalised along.</param>
    public static Tensor LogSoftmaxBackward(Tensor y, Tensor dy, int axis = -1) => BackwardAlongAxis(y, dy, axis, logarithm: true);

    private static Tensor AlongAxis(Tensor x, int axis, bool logarithm)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (outer, extent, inner) = Split(x, axis, logarithm);
        if (inner == 1)
            return x.DType == DType.Float32 ? Rows<float>(x, outer, extent, logarithm) : Rows<double>(x, outer, extent, logarithm);
        var values = x.ToFloat64Array();
        var result = new double[values.Length];
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                var start = (o * extent * inner) + i;
                var max = double.NegativeInfinity;
                for (var e = 0; e < extent; e++)
                    max = Math.Max(max, values[start + (e * inner)]);
                // A row of −∞ only (every class masked) has no finite maximum: shift by 0 so the row is NaN, as PyTorch gives.
                var shift = double.IsNegativeInfinity(max) ? 0 : max;
                var sum = 0.0;
                for (var e = 0; e < extent; e++)
                    sum += Math.Exp(values[start + (e * inner)] - shift);
                var logSum = Math.Log(sum);
                for (var e = 0; e < extent; e++)
                {
                    var shifted = values[start + (e * inner)] - shift;
                    result[start + (e * inner)] = logarithm ? shifted - logSum : Math.Exp(shifted) / sum;
                }
            }
        }
        return Tensor.FromSpan(result, x.Shape).To(x.DType);
    }

    /// <summary>
    /// Softmax along the last axis one row at a time, each row widened to double, computed by <see cref="AlongRow"/> and
    /// rounded into the result: the bits of a whole-tensor widening, without a double copy of the tensor (attention's
    /// scores are megabytes, and every fresh megabyte costs page faults).
    /// </summary>
    private static Tensor Rows<T>(Tensor x, int outer, int extent, bool logarithm)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var source = x.AsSpan<T>();
        var result = GC.AllocateUninitializedArray<T>(source.Length);
        var (row, output) = (new double[extent], new double[extent]);
        for (var o = 0; o < outer; o++)
        {
            Widen(source.Slice(o * extent, extent), row);
            AlongRow(row, output, logarithm);
            Narrow<T>(output, result.AsSpan(o * extent, extent));
        }
        return Tensor.Own(result, x.Shape);
    }

    private static void Widen<T>(ReadOnlySpan<T> source, Span<double> destination)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            Primitives.ConvertChecked<float, double>(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(source), destination);
        else
            System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(source).CopyTo(destination);
    }

    private static void Narrow<T>(ReadOnlySpan<double> source, Span<T> destination)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            Primitives.ConvertTruncating<double, float>(source, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(destination));
        else
            source.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(destination));
    }

    /// <summary>One contiguous row (the last axis), in vector lanes: the rule of the strided loop above with a vectorised exponential.</summary>
    private static void AlongRow(ReadOnlySpan<double> row, Span<double> result, bool logarithm)
    {
        if (row.IsEmpty)
            return;
        var max = Primitives.Max(row);
        var shift = double.IsNegativeInfinity(max) ? 0 : max;
        Primitives.Subtract(row, shift, result);
        if (logarithm)
        {
            Span<double> exponentials = stackalloc double[Math.Min(row.Length, 512)];
            var sum = 0.0;
            for (var start = 0; start < row.Length; start += exponentials.Length)
            {
                var chunk = result.Slice(start, Math.Min(exponentials.Length, row.Length - start));
                Elementwise.Apply(default(ExpOperator<double>), chunk, exponentials[..chunk.Length]);
                sum += Primitives.Sum<double>(exponentials[..chunk.Length]);
            }
            Primitives.Subtract(result, Math.Log(sum), result);
            return;
        }
        Elementwise.Apply(default(ExpOperator<double>), result, result);
        Primitives.Divide(result, Primitives.Sum<double>(result), result);
    }

    private static Tensor BackwardAlongAxis(Tensor y, Tensor dy, int axis, bool logarithm)
    {
        RequireSameShape(logarithm ? "LogSoftmax" : "Softmax", y, dy);
        var (outer, extent, inner) = Split(y, axis, logarithm);
        if (inner == 1)
            return y.DType == DType.Float32 ? BackwardRows<float>(y, dy, outer, extent, logarithm) : BackwardRows<double>(y, dy, outer, extent, logarithm);
        var (output, gradient) = (y.ToFloat64Array(), dy.ToFloat64Array());
        var result = new double[output.Length];
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                var start = (o * extent * inner) + i;
                var sum = 0.0;
                for (var e = 0; e < extent; e++)
                    sum += logarithm ? gradient[start + (e * inner)] : gradient[start + (e * inner)] * output[start + (e * inner)];
                for (var e = 0; e < extent; e++)
                {
                    var at = start + (e * inner);
                    result[at] = logarithm ? gradient[at] - (Math.Exp(output[at]) * sum) : output[at] * (gradient[at] - sum);
                }
            }
        }
        return Tensor.FromSpan(result, y.Shape).To(y.DType);
    }

    /// <summary>The backward along the last axis one row at a time, in double as the strided loop computes it, without a double copy of the tensors.</summary>
    private static Tensor BackwardRows<T>(Tensor y, Tensor dy, int outer, int extent, bool logarithm)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var outputs = y.AsSpan<T>();
        var gradients = dy.AsSpan<T>();
        var result = GC.AllocateUninitializedArray<T>(outputs.Length);
        var (output, gradient) = (new double[extent], new double[extent]);
        for (var o = 0; o < outer; o++)
        {
            Widen(outputs.Slice(o * extent, extent), output);
            Widen(gradients.Slice(o * extent, extent), gradient);
            var sum = 0.0;
            for (var e = 0; e < extent; e++)
                sum += logarithm ? gradient[e] : gradient[e] * output[e];
            for (var e = 0; e < extent; e++)
                gradient[e] = logarithm ? gradient[e] - (Math.Exp(output[e]) * sum) : output[e] * (gradient[e] - sum);
            Narrow<T>(gradient, result.AsSpan(o * extent, extent));
        }
        return Tensor.Own(result, y.Shape);
    }

    private static (int Outer, int Extent, int Inner) Split(Tensor x, int axis, bool logarithm)
    {
        var function = logarithm ? "LogSoftmax" : "Softmax";
        if (!x.DType.IsFloatingPoint())
            throw NotFloat(function, x);
        if (x.Rank == 0)
            throw new ArgumentException($"{function} needs a tensor with at least one axis but got a scalar.", nameof(x));
        return x.Shape.SplitAt(axis);
    }
}
