namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>A float32 tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromSpan(ReadOnlySpan<float> data, Shape shape) => FromSpanOf(data, shape);

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromSpan(ReadOnlySpan<double> data, Shape shape) => FromSpanOf(data, shape);

    /// <summary>A float32 tensor holding a copy of <paramref name="data"/>, shaped by <paramref name="dims"/> (1-D when none are given).</summary>
    public static Tensor FromArray(float[] data, params int[] dims) => FromSpanOf<float>(data, ShapeFor(data.Length, dims));

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/>, shaped by <paramref name="dims"/> (1-D when none are given).</summary>
    public static Tensor FromArray(double[] data, params int[] dims) => FromSpanOf<double>(data, ShapeFor(data.Length, dims));

    /// <summary>A 2-D float32 tensor from a rectangular array, e.g. <c>Tensor.FromArray(new float[,] {{1, 2, 3}, {4, 5, 6}})</c>.</summary>
    public static Tensor FromArray(float[,] data) => FromMatrix(data);

    /// <summary>A 2-D float64 tensor from a rectangular array.</summary>
    public static Tensor FromArray(double[,] data) => FromMatrix(data);

    /// <summary>A 0-d (scalar) tensor.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full(Shape.Scalar, value, dtype);

    /// <summary>A tensor of zeros, like <c>torch.zeros</c>.</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32) => dtype == DType.Float32
        ? new Tensor(new float[shape.ElementCount], 0, shape)
        : new Tensor(new double[shape.ElementCount], 0, shape);

    /// <summary>A tensor of ones, like <c>torch.ones</c>.</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Full(shape, 1.0, dtype);

    /// <summary>A tensor filled with <paramref name="value"/> (rounded to float32 for float32), like <c>torch.full</c>.</summary>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32)
    {
        if (dtype == DType.Float32)
        {
            var data = GC.AllocateUninitializedArray<float>(shape.ElementCount);
            data.AsSpan().Fill((float)value);
            return new Tensor(data, 0, shape);
        }
        var wide = GC.AllocateUninitializedArray<double>(shape.ElementCount);
        wide.AsSpan().Fill(value);
        return new Tensor(wide, 0, shape);
    }

    /// <summary>The 1-D tensor <c>[0, 1, …, end - 1]</c>, like <c>torch.arange(end)</c>.</summary>
    public static Tensor Arange(int end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    /// <summary>
    /// Values from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive) by <paramref name="step"/>,
    /// like <c>torch.arange(start, end, step)</c>: element i is <c>start + i * step</c> computed in double.
    /// </summary>
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

    private static Shape ShapeFor(int length, int[] dims) => dims.Length == 0 ? new Shape(length) : new Shape(dims);

    private static Tensor FromMatrix<T>(T[,] data)
        where T : unmanaged
    {
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
