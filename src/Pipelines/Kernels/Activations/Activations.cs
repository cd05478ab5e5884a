using Pipelines.Tensors;

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

    /// <summary>Runs the float32 or float64 form of a scalar rule, lane by lane, by the tensor's dtype.</summary>
    private static Tensor MapLanes<TSingle, TDouble>(string function, Tensor x, TSingle single, TDouble wide)
        where TSingle : struct, IUnaryLaneRule<float>
        where TDouble : struct, IUnaryLaneRule<double> =>
        Map(function, x, new Lanewise<TSingle, float>(single), new Lanewise<TDouble, double>(wide));

    /// <summary>Runs the float32 or float64 form of a scalar backward rule g(saved, dy), lane by lane, by the tensors' dtype.</summary>
    private static Tensor MapLanes<TSingle, TDouble>(string function, Tensor saved, Tensor dy, TSingle single, TDouble wide)
        where TSingle : struct, IBinaryLaneRule<float>
        where TDouble : struct, IBinaryLaneRule<double> =>
        Map(function, saved, dy, new LanewisePair<TSingle, float>(single), new LanewisePair<TDouble, double>(wide));

    private static void RequireSameShape(string function, Tensor saved, Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(dy);
        if (saved.Shape != dy.Shape || saved.DType != dy.DType)
            throw new ArgumentException($"{function} backward needs dy shaped like its saved tensor {saved.Shape} ({saved.DType.Name()}) but got {dy.Shape} ({dy.DType.Name()}).", nameof(dy));
    }

    private static InvalidOperationException NotFloat(string function, Tensor x) =>
        new($"{function} needs a float32 or float64 tensor but got {x.DType.Name()} {x.Shape}.");
}
