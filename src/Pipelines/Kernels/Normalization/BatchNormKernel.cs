using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

/// <summary>
/// Batch normalisation of [N, C] input with batch statistics, forward and backward, a row at a time with no tensor
/// between the steps: the same operations as <c>BatchNorm1d</c> composes from tensor arithmetic, in the same
/// order and precision (channel sums in double, over rows in order; every other step in the element type), so the bits
/// are the composed layer's. Composed, a 64 × 512 batch took a dozen allocating passes and a few hundred microseconds.
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
        var x = input.Span<T>();
        var sums = new double[c];
        var wide = new double[c];
        for (var i = 0; i < n; i++)
            AddRow(x.Slice(i * c, c), sums, wide);
        var mean = Averaged<T>(sums, n);
        var normalized = GC.AllocateUninitializedArray<T>(n * c);
        var square = new T[c];
        Array.Clear(sums);
        for (var i = 0; i < n; i++)
        {
            var centered = normalized.AsSpan(i * c, c);
            TensorPrimitives.Subtract(x.Slice(i * c, c), mean, centered);
            TensorPrimitives.Multiply<T>(centered, centered, square);
            AddRow<T>(square, sums, wide);
        }
        var variance = Averaged<T>(sums, n);
        var inverse = new T[c];
        TensorPrimitives.Add(variance, T.CreateTruncating(eps), inverse);
        TensorPrimitives.Sqrt<T>(inverse, inverse);
        TensorPrimitives.Divide(T.One, inverse, inverse);
        for (var i = 0; i < n; i++)
            TensorPrimitives.Multiply(normalized.AsSpan(i * c, c), inverse, normalized.AsSpan(i * c, c));
        var xhat = Tensor.Own(normalized, input.Shape);
        var (mu, sigma2, invStd) = (Tensor.Own(mean, new Shape(c)), Tensor.Own(variance, new Shape(c)), Tensor.Own(inverse, new Shape(c)));
        if (weight is null)
            return (xhat, xhat, mu, sigma2, invStd);
        var output = GC.AllocateUninitializedArray<T>(n * c);
        var gamma = weight.Span<T>();
        var beta = bias!.Span<T>();
        for (var i = 0; i < n; i++)
        {
            var row = output.AsSpan(i * c, c);
            TensorPrimitives.Multiply(normalized.AsSpan(i * c, c), gamma, row);
            TensorPrimitives.Add(row, beta, row);
        }
        return (Tensor.Own(output, input.Shape), xhat, mu, sigma2, invStd);
    }

    private static (Tensor?, Tensor, Tensor) Backward<T>(Tensor gradient, Tensor normalized, Tensor inverse, Tensor? weight, bool inputGradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, c) = (gradient.Shape[0], gradient.Shape[1]);
        var dy = gradient.Span<T>();
        var xhat = normalized.Span<T>();
        var (betaSums, gammaSums, wide) = (new double[c], new double[c], new double[c]);
        var product = new T[c];
        for (var i = 0; i < n; i++)
        {
            AddRow(dy.Slice(i * c, c), betaSums, wide);
            TensorPrimitives.Multiply(dy.Slice(i * c, c), xhat.Slice(i * c, c), product);
            AddRow<T>(product, gammaSums, wide);
        }
        var (dbeta, dgamma) = (Narrowed<T>(betaSums), Narrowed<T>(gammaSums));
        var (gammaGradient, betaGradient) = (Tensor.Own(dgamma, new Shape(c)), Tensor.Own(dbeta, new Shape(c)));
        if (!inputGradient)
            return (null, gammaGradient, betaGradient);
        var count = T.CreateTruncating(n);
        var scale = inverse.Span<T>().ToArray();
        if (weight is not null)
            TensorPrimitives.Multiply(weight.Span<T>(), scale, scale);
        TensorPrimitives.Divide<T>(scale, count, scale);
        var dx = GC.AllocateUninitializedArray<T>(n * c);
        for (var i = 0; i < n; i++)
        {
            var row = dx.AsSpan(i * c, c);
            TensorPrimitives.Multiply(dy.Slice(i * c, c), count, row);
            TensorPrimitives.Subtract<T>(row, dbeta, row);
            TensorPrimitives.Multiply(xhat.Slice(i * c, c), dgamma, product);
            TensorPrimitives.Subtract<T>(row, product, row);
            TensorPrimitives.Multiply<T>(scale, row, row);
        }
        return (Tensor.Own(dx, gradient.Shape), gammaGradient, betaGradient);
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
    private static T[] Averaged<T>(double[] sums, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Divide(sums, n, sums);
        return Narrowed<T>(sums);
    }

    private static T[] Narrowed<T>(double[] sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new T[sums.Length];
        TensorPrimitives.ConvertTruncating<double, T>(sums, result);
        return result;
    }
}
