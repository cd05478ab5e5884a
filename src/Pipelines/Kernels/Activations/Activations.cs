using Pipelines.Tensors;
using Primitives = System.Numerics.Tensors.TensorPrimitives;

namespace Pipelines.Kernels;

/// <summary>
/// The activations of <c>torch.nn.functional</c> as pure functions on tensors, each with its backward rule beside it:
/// <c>XBackward(saved, dy)</c> returns <c>dx</c>. A rule takes the input x or, where that is cheaper (sigmoid, tanh,
/// softmax, log-softmax), the output y, as PyTorch's own backward does. Every element goes through the same rule
/// whatever its position, so a batch's rows equal the rows computed alone, bitwise.
/// </summary>
public static partial class Activations
{
    /// <summary>Runs the float32 or float64 form of an operator by the tensor's dtype.</summary>
    private static Tensor Map<TSingle, TDouble>(string function, Tensor x, TSingle single, TDouble wide)
        where TSingle : struct, IUnaryOperator<float>
        where TDouble : struct, IUnaryOperator<double>
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.DType switch
        {
            DType.Float32 => Elementwise.Map<TSingle, float>(x, single),
            DType.Float64 => Elementwise.Map<TDouble, double>(x, wide),
            _ => throw NotFloat(function, x),
        };
    }

    /// <summary>Runs the float32 or float64 form of a backward rule g(saved, dy) by the tensors' dtype.</summary>
    private static Tensor Map<TSingle, TDouble>(string function, Tensor saved, Tensor dy, TSingle single, TDouble wide)
        where TSingle : struct, IBinaryOperator<float>
        where TDouble : struct, IBinaryOperator<double>
    {
        RequireSameShape(function, saved, dy);
        return saved.DType switch
        {
            DType.Float32 => Elementwise.Map<TSingle, float>(saved, dy, single),
            DType.Float64 => Elementwise.Map<TDouble, double>(saved, dy, wide),
            _ => throw NotFloat(function, saved),
        };
    }

    /// <summary>
    /// A TensorPrimitives function over the whole tensor, on a copy padded to a full 512-bit vector when it is shorter, so
    /// that TensorPrimitives never takes its scalar path and every element goes through its vector rule.
    /// </summary>
    private static Tensor Primitive(string function, Tensor x, PrimitiveSpan<float> single, PrimitiveSpan<double> wide)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.DType switch
        {
            DType.Float32 => PrimitiveOf(x, single),
            DType.Float64 => PrimitiveOf(x, wide),
            _ => throw NotFloat(function, x),
        };
    }

    private static Tensor PrimitiveOf<T>(Tensor x, PrimitiveSpan<T> function)
        where T : unmanaged
    {
        const int Padded = 16;
        var result = GC.AllocateUninitializedArray<T>(x.Count);
        if (x.Count >= Padded)
        {
            function(x.AsSpan<T>(), result);
            return Tensor.Own(result, x.Shape);
        }
        Span<T> buffer = stackalloc T[Padded];
        buffer.Clear();
        x.AsSpan<T>().CopyTo(buffer);
        function(buffer, buffer);
        buffer[..x.Count].CopyTo(result);
        return Tensor.Own(result, x.Shape);
    }

    private static void RequireSameShape(string function, Tensor saved, Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(dy);
        if (saved.Shape != dy.Shape || saved.DType != dy.DType)
            throw new ArgumentException($"{function} backward needs dy shaped like its saved tensor {saved.Shape} ({saved.DType.Name()}) but got {dy.Shape} ({dy.DType.Name()}).", nameof(dy));
    }

    private static InvalidOperationException NotFloat(string function, Tensor x) =>
        new($"{function} needs a float32 or float64 tensor but got {x.DType.Name()} {x.Shape}.");

    private delegate void PrimitiveSpan<T>(ReadOnlySpan<T> x, Span<T> destination);

    /// <summary>TensorPrimitives' generic functions bound to one element type, as <see cref="PrimitiveSpan{T}"/> values.</summary>
    private static class Bound
    {
        public static readonly PrimitiveSpan<float> TanhSingle = Primitives.Tanh;
        public static readonly PrimitiveSpan<double> TanhDouble = Primitives.Tanh;
    }
}
