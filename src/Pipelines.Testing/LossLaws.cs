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
    /// The reductions agree: the summed loss is a fixed multiple c of the mean one (the count the mean divides by), and
    /// so is its gradient, within float64 rounding.
    /// </summary>
    /// <param name="loss">The loss with a reduction.</param>
    /// <param name="example">One example's shape.</param>
    /// <param name="targetFor">Makes a valid target for an input from a key.</param>
    /// <param name="maxLeadingRank">The most leading extents of an input (1 for losses that take [N, C] only).</param>
    public static Property ReductionConsistent(Func<Tensor, Tensor, Reduction, LossValue> loss, Shape example, Func<Tensor, Key, Tensor> targetFor, int maxLeadingRank = 2)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(targetFor);
        return Prop.ForAll(Generate.Inputs(example, minLeadingRank: 1, maxLeadingRank: maxLeadingRank), input =>
        {
            var x = input.Tensor;
            var target = targetFor(x, new Key(input.Seed).Fold(1));
            var (mean, sum) = (loss(x, target, Reduction.Mean), loss(x, target, Reduction.Sum));
            if (mean.Value == 0 || !double.IsFinite(mean.Value))
                return true.Label(nameof(ReductionConsistent));
            var count = sum.Value / mean.Value;
            var worst = LayerLaws.Worst([("gradient", sum.Gradient, mean.Gradient * count)]);
            return (worst.Error <= 1e-9).Label($"{nameof(ReductionConsistent)}: the summed gradient against {count:R} × the mean one, {input}: {worst}");
        });
    }
}
