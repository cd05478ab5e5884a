using Pipelines.Tensors;

namespace Pipelines.Losses;

/// <summary>
/// The losses of <c>torch.nn.functional</c> as pure functions returning value and gradient with respect to the first
/// input, with PyTorch's options. Terms are computed in double; the gradient is rounded once to the input's dtype. A term
/// whose coefficient is zero (an unwanted class, an ignored target, a target of 0) is skipped rather than multiplied, so a
/// masked −∞ logit costs nothing instead of 0·∞ = NaN.
/// </summary>
public static partial class Loss
{
    /// <summary>Input and target as doubles after checking they have one shape (the target converted from any dtype).</summary>
    private static (double[] Input, double[] Target) Pair(string loss, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        RequireFloat(loss, input);
        if (input.Shape != target.Shape)
            throw new ArgumentException($"{loss} needs input and target of one shape but got {input.Shape} and {target.Shape}.", nameof(target));
        return (input.ToFloat64Array(), target.ToFloat64Array());
    }

    /// <summary>A per-element weight broadcast to the input's shape (all ones when absent), or an error naming both shapes.</summary>
    private static double[] Broadcast(string loss, string what, Tensor? weight, Tensor input)
    {
        if (weight is null)
            return [.. Enumerable.Repeat(1.0, input.Count)];
        try
        {
            var shape = Tensor.BroadcastShapes(input.Shape, weight.Shape);
            if (shape != input.Shape)
                throw new ArgumentException($"it would broadcast the input to {shape}");
            return (Tensor.Zeros(input.Shape, DType.Float64) + weight.To(DType.Float64)).ToFloat64Array();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{loss} needs {what} that broadcasts to the input {input.Shape} but got {weight.Shape}: {e.Message}", what.Replace(' ', '_'), e);
        }
    }

    private static void RequireFloat(string loss, Tensor input)
    {
        if (!input.DType.IsFloatingPoint())
            throw new ArgumentException($"{loss} needs a float32 or float64 input but got {input.DType.Name()} {input.Shape}.", nameof(input));
    }

    /// <summary>Scales value and gradient for the reduction by <paramref name="count"/> (the mean's divisor), and rounds the gradient to the input's dtype.</summary>
    private static LossValue Reduce(string loss, double total, double[] gradient, Tensor like, Reduction reduction, double count)
    {
        if (reduction == Reduction.BatchMean)
            throw new ArgumentException($"{loss} has no batchmean reduction; PyTorch defines it for KL divergence only.", nameof(reduction));
        var scale = reduction == Reduction.Mean ? 1.0 / count : 1.0;
        if (reduction == Reduction.Mean && count == 0)
            return new LossValue(double.NaN, Tensor.Zeros(like.Shape, like.DType));
        for (var i = 0; i < gradient.Length; i++)
            gradient[i] *= scale;
        return new LossValue(total * scale, Tensor.FromSpan(gradient, like.Shape).To(like.DType));
    }

    /// <summary>Sums the per-element terms and reduces by the element count.</summary>
    private static LossValue Reduce(string loss, double[] terms, double[] gradient, Tensor like, Reduction reduction) =>
        Reduce(loss, terms.Sum(), gradient, like, reduction, terms.Length);
}
