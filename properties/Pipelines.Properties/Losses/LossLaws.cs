using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Autodiff;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Properties.Losses;

/// <summary>A loss bound to a target, over inputs [rows, cols]; Split gives the same loss on a block of rows.</summary>
public sealed record LossCase(string Name, int Rows, int Cols, int Seed, Reduction Reduction)
{
    private Key Key => new((ulong)Seed);

    public Tensor Input() => Name switch
    {
        "bce" => Tensor.Uniform(Key.Fold(1), new Shape(Rows, Cols), 0.05, 0.95, DType.Float64),
        "kl_div" => Pipelines.Kernels.Activations.LogSoftmax(Tensor.Normal(Key.Fold(1), new Shape(Rows, Cols), dtype: DType.Float64)),
        _ => Tensor.Normal(Key.Fold(1), new Shape(Rows, Cols), 0, Name == "bce_logits" ? 20 : 2, DType.Float64),
    };

    public LossValue Evaluate(Tensor input, int firstRow = 0)
    {
        var rows = input.Shape[0];
        var classes = Enumerable.Range(firstRow, rows).Select(r => (long)((uint)HashCode.Combine(Seed, r) % (uint)Cols)).ToArray();
        var target = Tensor.Uniform(Key.Fold(2), new Shape(Rows, Cols), dtype: DType.Float64)[firstRow..(firstRow + rows)];
        return Name switch
        {
            "mse" => Loss.MeanSquaredError(input, target, Reduction),
            "l1" => Loss.L1(input, target, Reduction),
            "huber" => Loss.Huber(input, target, 0.7, Reduction),
            "cross_entropy" => Loss.CrossEntropy(input, classes, Reduction),
            "cross_entropy_smooth" => Loss.CrossEntropy(input, classes, Reduction, labelSmoothing: 0.2),
            "nll" => Loss.NegativeLogLikelihood(input, classes, Reduction),
            "cross_entropy_weighted" => Loss.CrossEntropy(input, Tensor.FromArray([.. classes.Select((k, i) => (firstRow + i) % 3 == 1 ? -100 : k)]), ClassWeights, reduction: Reduction, labelSmoothing: 0.1),
            "cross_entropy_soft" => Loss.CrossEntropy(input, Pipelines.Kernels.Activations.Softmax(target * 3), ClassWeights, reduction: Reduction, labelSmoothing: 0.05),
            "smooth_l1" => Loss.SmoothL1(input, target, 0.6, Reduction),
            "kl_div" => Loss.KLDivergence(input, Pipelines.Kernels.Activations.Softmax(target), Reduction),
            "bce_logits_weighted" => Loss.BinaryCrossEntropyWithLogits(input, target, Reduction, weight: target + 0.5, posWeight: ClassWeights),
            "bce" => Loss.BinaryCrossEntropy(input, target, Reduction),
            _ => Loss.BinaryCrossEntropyWithLogits(input, target, Reduction),
        };
    }

    /// <summary>A positive weight per column.</summary>
    private Tensor ClassWeights => Tensor.Uniform(Key.Fold(5), new Shape(Cols), 0.5, 2, DType.Float64);

    public override string ToString() => $"{Name} {Reduction} on [{Rows}, {Cols}], seed {Seed}";
}

public static class LossArbitraries
{
    public static Arbitrary<LossCase> Cases() =>
        (from name in Gen.Elements("mse", "l1", "huber", "smooth_l1", "cross_entropy", "cross_entropy_smooth", "cross_entropy_weighted", "cross_entropy_soft", "nll", "bce", "bce_logits", "bce_logits_weighted", "kl_div")
         from rows in Gen.Elements(1, 2, 3, 7)
         from cols in Gen.Elements(1, 2, 5)
         from reduction in Gen.Elements(Reduction.Mean, Reduction.Sum)
         from seed in Gen.Choose(0, int.MaxValue)
         select new LossCase(name, rows, cols, seed, reduction)).ToArbitrary();
}

[Properties(Arbitrary = [typeof(LossArbitraries)], MaxTest = 300)]
public sealed class LossLaws
{
    [Property]
    public Property Gradient_matches_float64_central_differences(LossCase c)
    {
        // L1 and Huber have kinks where input meets target; the random draw lands there with probability ~0.
        var report = GradCheck.Loss(x => c.Evaluate(x), c.Input());
        return report.Passed.Label($"{c}: {report}");
    }

    [Property]
    public Property A_sum_reduced_batch_is_the_sum_of_its_micro_batches(LossCase c)
    {
        var summed = c with { Reduction = Reduction.Sum };
        var input = summed.Input();
        var whole = summed.Evaluate(input);
        var split = Math.Max(1, summed.Rows / 2);
        var (top, bottom) = (summed.Evaluate(input[..split]), split < summed.Rows ? summed.Evaluate(input[split..], split) : null);
        var value = top.Value + (bottom?.Value ?? 0);
        var gradient = bottom is null ? top.Gradient.ToFloat64Array() : [.. top.Gradient.ToFloat64Array(), .. bottom.Gradient.ToFloat64Array()];
        return (Math.Abs(whole.Value - value) <= 1e-12 * (1 + Math.Abs(value))
                && whole.Gradient.ToFloat64Array().Zip(gradient, (a, b) => Math.Abs(a - b) <= 1e-12 * (1 + Math.Abs(a))).All(ok => ok))
            .Label(c.ToString());
    }
}
