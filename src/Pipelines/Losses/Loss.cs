using Pipelines.Tensors;

namespace Pipelines.Losses;

/// <summary>
/// The losses of <c>torch.nn.functional</c> as pure functions returning value and gradient with respect to the
/// first input. Terms are computed in double; the gradient is rounded once to the input's dtype.
/// </summary>
public static partial class Loss
{
    private static (double[] Input, double[] Target) Pair(string loss, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.Shape != target.Shape)
            throw new ArgumentException($"{loss} needs input and target of one shape but got {input.Shape} and {target.Shape}.", nameof(target));
        return (input.ToFloat64Array(), target.ToFloat64Array());
    }

    /// <summary>Sums the terms and scales value and gradient for the reduction.</summary>
    private static LossValue Reduce(double[] terms, double[] gradient, Tensor like, Reduction reduction)
    {
        var scale = reduction == Reduction.Mean ? 1.0 / terms.Length : 1.0;
        var total = 0.0;
        foreach (var t in terms)
            total += t;
        for (var i = 0; i < gradient.Length; i++)
            gradient[i] *= scale;
        return new LossValue(reduction == Reduction.Mean && terms.Length == 0 ? double.NaN : total * scale, Tensor.FromSpan(gradient, like.Shape).To(like.DType));
    }
}
