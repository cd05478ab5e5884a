using System.Numerics;
using System.Runtime.InteropServices;
using Pipelines.Kernels.Threading;
using Pipelines.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Pipelines.Kernels;

/// <summary>
/// Batch normalisation of [N, C] input with batch statistics, forward and backward, a row at a time with no tensor
/// between the steps, a large batch's channels split between threads: the same operations as <c>BatchNorm1d</c>
/// composes from tensor arithmetic, in the same order and precision (channel sums in double, over rows in order; every
/// other step in the element type), so the bits are the composed layer's. Composed, a 64 × 512 batch took a dozen
/// allocating passes and a few hundred microseconds.
/// </summary>
internal static class BatchNormKernel
{
    /// <summary>The normalised input x̂, the output γ·x̂ + β (x̂ itself without γ and β), and the batch mean, biased variance and 1/√(var + ε).</summary>
    public static (Tensor Output, Tensor Normalized, Tensor Mean, Tensor Variance, Tensor Inverse) Forward(Tensor x, Tensor? weight, Tensor? bias, double eps) => x.DType == DType.Float32
        ? Forward<float>(x, weight, bias, eps)
        : Forward<double>(x, weight, bias, eps);

    /// <summary>dγ and dβ (summed over rows in double) and, when asked, dx for batch statistics.</summary>
    public static (Tensor? Dx, Tensor DGamma, Tensor DBeta) Backward(Tensor dy, Tensor normalized, Tensor inverse, Tensor? weight, bool inputGradient) => dy.DType == DType.Float32
        ? Backward<float>(dy, normalized, inverse, weight, inputGradient)
        : Backward<double>(dy, normalized, inverse, weight, inputGradient);

    private static (Tensor, Tensor, Tensor, Tensor, Tensor) Forward<T>(Tensor input, Tensor? weight, Tensor? bias, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, c) = (input.Shape[0], input.Shape[1]);
        var normalized = GC.AllocateUninitializedArray<T>(n * c);
        var output = weight is null ? normalized : GC.AllocateUninitializedArray<T>(n * c);
        var (mean, variance, inverse) = (new T[c], new T[c], new T[c]);
        ParallelChunks.Run(c, (long)n * c, ChannelAlignment, (first, end) =>
        {
            var columns = new Columns(n, c, first, end - first);
            ForwardColumns(columns, input.Span<T>(), weight, bias, eps, normalized, output, mean, variance, inverse);
        });
        var xhat = Tensor.Own(normalized, input.Shape);
        var (mu, sigma2, invStd) = (Tensor.Own(mean, new Shape(c)), Tensor.Own(variance, new Shape(c)), Tensor.Own(inverse, new Shape(c)));
        return (weight is null ? xhat : Tensor.Own(output, input.Shape), xhat, mu, sigma2, invStd);
    }

    /// <summary>The forward pass over the channels <paramref name="columns"/> holds, every row of them.</summary>
    private static void ForwardColumns<T>(Columns columns, ReadOnlySpan<T> x, Tensor? weight, Tensor? bias, double eps, T[] normalized, T[] output, T[] meanOut, T[] varianceOut, T[] inverseOut)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, width) = (columns.Rows, columns.Width);
        var sums = new double[width];
        var wide = new double[width];
        for (var i = 0; i < n; i++)
            AddRow(columns.Row(x, i), sums, wide);
        var mean = columns.Of(meanOut);
        Averaged(sums, n, mean);
        var square = new T[width];
        Array.Clear(sums);
        for (var i = 0; i < n; i++)
        {
            var centered = columns.Row(normalized, i);
            TensorPrimitives.Subtract(columns.Row(x, i), mean, centered);
            TensorPrimitives.Multiply<T>(centered, centered, square);
            AddRow<T>(square, sums, wide);
        }
        var variance = columns.Of(varianceOut);
        Averaged(sums, n, variance);
        var inverse = columns.Of(inverseOut);
        TensorPrimitives.Add(variance, T.CreateTruncating(eps), inverse);
        TensorPrimitives.Sqrt<T>(inverse, inverse);
        TensorPrimitives.Divide(T.One, inverse, inverse);
        for (var i = 0; i < n; i++)
            TensorPrimitives.Multiply(columns.Row(normalized, i), inverse, columns.Row(normalized, i));
        if (weight is null)
            return;
        var gamma = columns.Of(weight.Span<T>());
        var beta = columns.Of(bias!.Span<T>());
        for (var i = 0; i < n; i++)
        {
            var row = columns.Row(output, i);
            TensorPrimitives.Multiply(columns.Row(normalized, i), gamma, row);
            TensorPrimitives.Add(row, beta, row);
        }
    }

    private static (Tensor?, Tensor, Tensor) Backward<T>(Tensor gradient, Tensor normalized, Tensor inverse, Tensor? weight, bool inputGradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, c) = (gradient.Shape[0], gradient.Shape[1]);
        var (dgamma, dbeta) = (new T[c], new T[c]);
        var dx = inputGradient ? GC.AllocateUninitializedArray<T>(n * c) : null;
        ParallelChunks.Run(c, (long)n * c, ChannelAlignment, (first, end) =>
        {
            var columns = new Columns(n, c, first, end - first);
            BackwardColumns(columns, gradient.Span<T>(), normalized.Span<T>(), inverse.Span<T>(), weight, dgamma, dbeta, dx);
        });
        var (gammaGradient, betaGradient) = (Tensor.Own(dgamma, new Shape(c)), Tensor.Own(dbeta, new Shape(c)));
        return (dx is null ? null : Tensor.Own(dx, gradient.Shape), gammaGradient, betaGradient);
    }

    /// <summary>The backward pass over the channels <paramref name="columns"/> holds; dx only when <paramref name="dxOut"/> is given.</summary>
    private static void BackwardColumns<T>(Columns columns, ReadOnlySpan<T> dy, ReadOnlySpan<T> xhat, ReadOnlySpan<T> inverse, Tensor? weight, T[] dgammaOut, T[] dbetaOut, T[]? dxOut)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, width) = (columns.Rows, columns.Width);
        var (betaSums, gammaSums, wide) = (new double[width], new double[width], new double[width]);
        var product = new T[width];
        for (var i = 0; i < n; i++)
        {
            AddRow(columns.Row(dy, i), betaSums, wide);
            TensorPrimitives.Multiply(columns.Row(dy, i), columns.Row(xhat, i), product);
            AddRow<T>(product, gammaSums, wide);
        }
        var dbeta = columns.Of(dbetaOut);
        var dgamma = columns.Of(dgammaOut);
        TensorPrimitives.ConvertTruncating<double, T>(betaSums, dbeta);
        TensorPrimitives.ConvertTruncating<double, T>(gammaSums, dgamma);
        if (dxOut is null)
            return;
        var count = T.CreateTruncating(n);
        var scale = columns.Of(inverse).ToArray();
        if (weight is not null)
            TensorPrimitives.Multiply(columns.Of(weight.Span<T>()), scale, scale);
        TensorPrimitives.Divide<T>(scale, count, scale);
        for (var i = 0; i < n; i++)
        {
            var row = columns.Row(dxOut, i);
            TensorPrimitives.Multiply(columns.Row(dy, i), count, row);
            TensorPrimitives.Subtract<T>(row, dbeta, row);
            TensorPrimitives.Multiply(columns.Row(xhat, i), dgamma, product);
            TensorPrimitives.Subtract<T>(row, product, row);
            TensorPrimitives.Multiply<T>(scale, row, row);
        }
    }

    /// <summary>Channels [First, First + Width) of an [N, C] matrix stored by rows: the slice of each row, or of a per-channel vector.</summary>
    private readonly record struct Columns(int Rows, int Channels, int First, int Width)
    {
        public ReadOnlySpan<T> Row<T>(ReadOnlySpan<T> matrix, int row) => matrix.Slice((row * Channels) + First, Width);

        public Span<T> Row<T>(T[] matrix, int row) => matrix.AsSpan((row * Channels) + First, Width);

        public ReadOnlySpan<T> Of<T>(ReadOnlySpan<T> channels) => channels.Slice(First, Width);

        public Span<T> Of<T>(T[] channels) => channels.AsSpan(First, Width);
    }

    /// <summary>Adds a row to the channel sums in double, as an axis sum does: float32 widened first.</summary>
    private static void AddRow<T>(ReadOnlySpan<T> row, Span<double> sums, Span<double> wide)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
        {
            TensorPrimitives.Add(sums, MemoryMarshal.Cast<T, double>(row), sums);
            return;
        }
        TensorPrimitives.ConvertChecked(MemoryMarshal.Cast<T, float>(row), wide);
        TensorPrimitives.Add(sums, wide, sums);
    }

    /// <summary>The sums divided by the row count in double, then rounded to the element type: an axis mean.</summary>
    private static void Averaged<T>(double[] sums, int n, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Divide(sums, n, sums);
        TensorPrimitives.ConvertTruncating<double, T>(sums, destination);
    }

    /// <summary>Channels per chunk start at multiples of 16, so threads write different cache lines of each row.</summary>
    private const int ChannelAlignment = 16;
}
