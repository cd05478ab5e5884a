using Pipelines.Tensors;

namespace Pipelines.Layers.Functional;

/// <summary>
/// The element-wise activations of <c>torch.nn.functional</c> as pure functions, each with its backward rule
/// beside it: <c>XBackward(saved, dy)</c> returns <c>dx</c>. A rule takes the input x or, where that is
/// cheaper (sigmoid, tanh, softmax, log-softmax), the output y, as PyTorch's own backward does. Values are
/// computed in double and rounded once; every function is finite for finite input, however large.
/// </summary>
public static partial class Activations
{
    private static void RequireSameShape(string function, Tensor saved, Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(dy);
        if (saved.Shape != dy.Shape || saved.DType != dy.DType)
            throw new ArgumentException($"{function} backward needs dy shaped like its saved tensor {saved.Shape} ({saved.DType.Name()}) but got {dy.Shape} ({dy.DType.Name()}).", nameof(dy));
    }
}
