using FsCheck;
using FsCheck.Fluent;
using Pipelines.Autodiff;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Testing;

/// <summary>The laws a loss keeps, as FsCheck properties for any loss, a user's own included.</summary>
public static class LossLaws
{
    /// <summary>The loss's gradient equals float64 central differences of its value.</summary>
    /// <param name="loss">The loss of an input against a target.</param>
    /// <param name="example">One example's shape (the input's trailing shape).</param>
    /// <param name="targetFor">Makes a valid target for an input from a key (class indices, values, probabilities).</param>
    /// <param name="tolerance">The largest |numeric − analytic| / (1 + |numeric|) that passes.</param>
    /// <param name="maxLeadingRank">The most leading extents of an input (1 for losses that take [N, C] only).</param>
    public static Property Gradient(Func<Tensor, Tensor, LossValue> loss, Shape example, Func<Tensor, Key, Tensor> targetFor, double tolerance = 1e-5, int maxLeadingRank = 2)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(targetFor);
        return Prop.ForAll(Generate.Inputs(example, minLeadingRank: 1, maxLeadingRank: maxLeadingRank, maxElements: 64), input =>
        {
            var x = input.Tensor;
            var target = targetFor(x, new Key(input.Seed).Fold(1));
            var report = GradCheck.Loss(y => loss(y, target), x, tolerance: tolerance);
            return report.Passed.Label($"{nameof(Gradient)}: the loss's gradient against float64 central differences, {input}: {report}");
        });
    }

    /// <summary>
    /// The reductions agree: the mean loss is the summed one divided by the count PyTorch's mean divides by (every element
    /// of the input for the element-wise losses; pass <paramref name="divisor"/> for others, such as cross-entropy's
    /// rows), and so is its gradient, within float64 rounding.
    /// </summary>
    /// <param name="loss">The loss with a reduction.</param>
    /// <param name="example">One example's shape.</param>
    /// <param name="targetFor">Makes a valid target for an input from a key.</param>
    /// <param name="maxLeadingRank">The most leading extents of an input (1 for losses that take [N, C] only).</param>
    /// <param name="divisor">What the mean divides by for an input and its target; null for the input's element count.</param>
    public static Property ReductionConsistent(Func<Tensor, Tensor, Reduction, LossValue> loss, Shape example, Func<Tensor, Key, Tensor> targetFor, int maxLeadingRank = 2, Func<Tensor, Tensor, double>? divisor = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(targetFor);
        return Prop.ForAll(Generate.Inputs(example, minLeadingRank: 1, maxLeadingRank: maxLeadingRank), input =>
        {
            var x = input.Tensor;
            var target = targetFor(x, new Key(input.Seed).Fold(1));
            var (mean, sum) = (loss(x, target, Reduction.Mean), loss(x, target, Reduction.Sum));
            var count = divisor?.Invoke(x, target) ?? x.Count;
            if (!double.IsFinite(sum.Value) || count == 0)
                return true.Label(nameof(ReductionConsistent));
            if (Math.Abs((mean.Value * count) - sum.Value) > 1e-9 * Math.Max(1, Math.Abs(sum.Value)))
                return false.Label($"{nameof(ReductionConsistent)}: the mean loss {mean.Value:R} × {count:R} is not the summed one {sum.Value:R}, {input}; does the mean divide by the count PyTorch's does?");
            var worst = LayerLaws.Worst([("gradient", sum.Gradient, mean.Gradient * count)]);
            return (worst.Error <= 1e-9).Label($"{nameof(ReductionConsistent)}: the summed gradient against {count:R} × the mean one, {input}: {worst}");
        });
    }
}
