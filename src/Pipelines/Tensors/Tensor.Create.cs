namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>A float32 tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The shape; its element count must equal the data's length.</param>
    public static Tensor FromSpan(ReadOnlySpan<float> data, Shape shape) => FromSpanOf(data, shape);

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The shape; its element count must equal the data's length.</param>
    public static Tensor FromSpan(ReadOnlySpan<double> data, Shape shape) => FromSpanOf(data, shape);

    /// <summary>An int64 tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The shape; its element count must equal the data's length.</param>
    public static Tensor FromSpan(ReadOnlySpan<long> data, Shape shape) => FromSpanOf(data, shape);

    /// <summary>A float32 tensor holding a copy of <paramref name="data"/>, shaped by <paramref name="dims"/> (1-D when none are given).</summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="dims">The extents; none means one axis of the data's length.</param>
    public static Tensor FromArray(float[] data, params int[] dims) => FromSpanOf<float>(data, ShapeFor(data, dims));

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/>, shaped by <paramref name="dims"/> (1-D when none are given).</summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="dims">The extents; none means one axis of the data's length.</param>
    public static Tensor FromArray(double[] data, params int[] dims) => FromSpanOf<double>(data, ShapeFor(data, dims));

    /// <summary>An int64 tensor holding a copy of <paramref name="data"/>, e.g. class indices (1-D when no dims are given).</summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="dims">The extents; none means one axis of the data's length.</param>
    public static Tensor FromArray(long[] data, params int[] dims) => FromSpanOf<long>(data, ShapeFor(data, dims));

    /// <summary>A 2-D float32 tensor from a rectangular array, e.g. <c>Tensor.FromArray(new float[,] {{1, 2, 3}, {4, 5, 6}})</c>.</summary>
    /// <param name="data">The rows.</param>
    public static Tensor FromArray(float[,] data) => FromMatrix(data);

    /// <summary>A 2-D float64 tensor from a rectangular array.</summary>
    /// <param name="data">The rows.</param>
    public static Tensor FromArray(double[,] data) => FromMatrix(data);

    /// <summary>A 0-d (scalar) tensor.</summary>
    /// <param name="value">The value (an integer for int64).</param>
    /// <param name="dtype">The element type.</param>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full(Shape.Scalar, value, dtype);

    /// <summary>A tensor of zeros, like <c>torch.zeros</c>.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">The element type.</param>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32) => dtype switch
    {
        DType.Float32 => new Tensor(new float[shape.ElementCount], 0, shape),
        DType.Float64 => new Tensor(new double[shape.ElementCount], 0, shape),
        _ => new Tensor(new long[shape.ElementCount], 0, shape),
    };

    /// <summary>A tensor of ones, like <c>torch.ones</c>.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">The element type.</param>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Full(shape, 1.0, dtype);

    /// <summary>A tensor filled with <paramref name="value"/> (rounded to float32 for float32; an exact integer for int64), like <c>torch.full</c>.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="value">The value of every element.</param>
    /// <param name="dtype">The element type.</param>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32)
    {
        switch (dtype)
        {
            case DType.Float32:
                var data = GC.AllocateUninitializedArray<float>(shape.ElementCount);
                data.AsSpan().Fill((float)value);
                return new Tensor(data, 0, shape);
            case DType.Float64:
                var wide = GC.AllocateUninitializedArray<double>(shape.ElementCount);
                wide.AsSpan().Fill(value);
                return new Tensor(wide, 0, shape);
            default:
                if (value != Math.Floor(value) || Math.Abs(value) > 9.007199254740992e15)
                    throw new ArgumentException($"An int64 tensor needs an exact integer value but got {value}.", nameof(value));
                var integers = GC.AllocateUninitializedArray<long>(shape.ElementCount);
                integers.AsSpan().Fill((long)value);
                return new Tensor(integers, 0, shape);
        }
    }

    /// <summary>The 1-D tensor <c>[0, 1, …, end - 1]</c>, like <c>torch.arange(end)</c>.</summary>
    /// <param name="end">One past the last value.</param>
    /// <param name="dtype">The element type.</param>
    public static Tensor Arange(int end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    /// <summary>
    /// Values from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive) by <paramref name="step"/>,
    /// like <c>torch.arange(start, end, step)</c>: element i is <c>start + i * step</c> computed in double.
    /// </summary>
    /// <param name="start">The first value.</param>
    /// <param name="end">The bound the values stay below (above for a negative step).</param>
    /// <param name="step">The difference between consecutive values.</param>
    /// <param name="dtype">The element type.</param>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0 || !double.IsFinite(step) || !double.IsFinite(start) || !double.IsFinite(end))
            throw new ArgumentException($"Arange needs finite start, end and a non-zero step but got start={start}, end={end}, step={step}.", nameof(step));
        if ((end - start) / step > Array.MaxLength)
            throw new ArgumentException($"Arange from {start} to {end} by {step} has more elements than an array can hold.", nameof(step));
        var count = (int)Math.Max(0, Math.Ceiling((end - start) / step));
        var values = new double[count];
        for (var i = 0; i < count; i++)
            values[i] = start + (i * step);
        return FromSpanOf<double>(values, new Shape(count)).To(dtype);
    }

    private static Tensor FromSpanOf<T>(ReadOnlySpan<T> data, Shape shape)
        where T : unmanaged
    {
        if (data.Length != shape.ElementCount)
            throw new ArgumentException($"{data.Length} values cannot fill a tensor of shape {shape} ({shape.ElementCount} elements).", nameof(data));
        return new Tensor(data.ToArray(), 0, shape);
    }

    private static Shape ShapeFor<T>(T[] data, int[] dims)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(dims);
        return dims.Length == 0 ? new Shape(data.Length) : new Shape(dims);
    }

    private static Tensor FromMatrix<T>(T[,] data)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var rows = data.GetLength(0);
        var cols = data.GetLength(1);
        var flat = new T[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
                flat[(r * cols) + c] = data[r, c];
        }
        return new Tensor(flat, 0, new Shape(rows, cols));
    }
}
