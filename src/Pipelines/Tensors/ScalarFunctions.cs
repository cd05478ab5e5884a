namespace Pipelines.Tensors;

/// <summary>
/// An element-wise function evaluated in double and rounded once to the tensor's dtype. A struct, so the
/// driver is specialised per function (no delegate call per element) and can carry parameters such as a slope.
/// </summary>
public interface IScalarFunction
{
    /// <summary>f(x).</summary>
    double Invoke(double x);
}

/// <summary>An element-wise function of two tensors of one shape, such as a backward rule g(x, dy).</summary>
public interface IScalarFunction2
{
    /// <summary>g(x, y).</summary>
    double Invoke(double x, double y);
}

public sealed partial class Tensor
{
    /// <summary>f applied to every element: computed in double, rounded once to this tensor's dtype.</summary>
    public Tensor Map<TFunction>(TFunction function)
        where TFunction : struct, IScalarFunction
    {
        if (DType == DType.Float32)
        {
            var source = Span<float>();
            var result = GC.AllocateUninitializedArray<float>(Count);
            for (var i = 0; i < result.Length; i++)
                result[i] = (float)function.Invoke(source[i]);
            return new Tensor(result, 0, Shape);
        }
        var wide = Span<double>();
        var output = GC.AllocateUninitializedArray<double>(Count);
        for (var i = 0; i < output.Length; i++)
            output[i] = function.Invoke(wide[i]);
        return new Tensor(output, 0, Shape);
    }

    /// <summary>g applied to the elements of two tensors of the same shape and dtype, pairwise.</summary>
    public static Tensor Map<TFunction>(Tensor x, Tensor y, TFunction function)
        where TFunction : struct, IScalarFunction2
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Shape != y.Shape || x.DType != y.DType)
            throw new ArgumentException($"An element-wise function of two tensors needs one shape and dtype but got {x.Shape} ({x.DType.Name()}) and {y.Shape} ({y.DType.Name()}).");
        if (x.DType == DType.Float32)
        {
            var a = x.Span<float>();
            var b = y.Span<float>();
            var result = GC.AllocateUninitializedArray<float>(x.Count);
            for (var i = 0; i < result.Length; i++)
                result[i] = (float)function.Invoke(a[i], b[i]);
            return new Tensor(result, 0, x.Shape);
        }
        var wa = x.Span<double>();
        var wb = y.Span<double>();
        var output = GC.AllocateUninitializedArray<double>(x.Count);
        for (var i = 0; i < output.Length; i++)
            output[i] = function.Invoke(wa[i], wb[i]);
        return new Tensor(output, 0, x.Shape);
    }
}
