using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Losses;

public static partial class Loss
{
    /// <summary>
    /// Cross-entropy of scores [N, C] (or [C], or [N, C, d1, …]) against class indices, like <c>F.cross_entropy</c>: per
    /// position −log softmax at the target, with class <paramref name="weight"/>s, targets equal to
    /// <paramref name="ignoreIndex"/> skipped, and label smoothing ε mixing in the weighted mean over all classes, all
    /// combined as PyTorch combines them; the mean divides by the sum of the weights of the targets not ignored.
    /// </summary>
    /// <param name="input">The scores (logits); −∞ masks a class.</param>
    /// <param name="targets">Class indices: an int64 tensor shaped like the input without its class axis.</param>
    /// <param name="weight">A weight per class, [C], or null for 1.</param>
    /// <param name="ignoreIndex">Targets with this value contribute nothing (PyTorch's default −100).</param>
    /// <param name="reduction">Mean or sum.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    public static LossValue CrossEntropy(Tensor input, Tensor targets, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        const string Name = "Cross-entropy";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(targets);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must lie in [0, 1].");
        RequireFloat(Name, input);
        var layout = ClassLayout.Of(Name, input);
        if (targets.DType.IsFloatingPoint() && targets.Shape == input.Shape)
            return SoftCrossEntropy(input, targets, weight, reduction, labelSmoothing, layout);
        var classes = ClassIndices(Name, input, targets, ignoreIndex, layout);
        var w = ClassWeights(Name, weight, layout.Classes);
        var weightTotal = w.Sum();
        var logProbabilities = Activations.LogSoftmax(input.To(DType.Float64), input.Rank == 1 ? 0 : 1).ToFloat64Array();
        var probabilities = new double[logProbabilities.Length];
        Elementwise.Apply(default(ExpOperator<double>), logProbabilities, probabilities);
        var gradient = new double[logProbabilities.Length];
        var (total, denominator) = (0.0, 0.0);
        var (keep, spread) = (1 - labelSmoothing, labelSmoothing / layout.Classes);
        for (var position = 0; position < layout.Positions; position++)
        {
            var target = classes[position];
            if (target == ignoreIndex)
                continue;
            var wt = w[target];
            denominator += wt;
            if (keep != 0 && wt != 0)
                total -= keep * wt * logProbabilities[layout.At(position, (int)target)];
            for (var c = 0; c < layout.Classes; c++)
            {
                var at = layout.At(position, c);
                if (spread != 0 && w[c] != 0)
                    total -= spread * w[c] * logProbabilities[at];
                var p = probabilities[at];
                gradient[at] = (p * ((keep * wt) + (spread * weightTotal))) - (spread * w[c]) - (c == target ? keep * wt : 0);
            }
        }
        return Reduce(Name, total, gradient, input, reduction, denominator);
    }

    /// <summary>Cross-entropy against class indices given as an array (which a loss lambda can capture).</summary>
    /// <param name="input">The scores (logits), [N, C] or [N, C, d1, ...].</param>
    /// <param name="targets">Class indices in row-major order of the input without its class axis.</param>
    /// <param name="reduction">Mean or sum.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="weight">A weight per class, [C], or null for 1.</param>
    /// <param name="ignoreIndex">Targets with this value contribute nothing.</param>
    public static LossValue CrossEntropy(Tensor input, ReadOnlySpan<long> targets, Reduction reduction = Reduction.Mean, double labelSmoothing = 0, Tensor? weight = null, long ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(input);
        return CrossEntropy(input, IndexTensor("Cross-entropy", input, targets), weight, ignoreIndex, reduction, labelSmoothing);
    }

    /// <summary>
    /// The negative log-likelihood of log-probabilities at the target classes, like <c>F.nll_loss</c>, with class weights
    /// and an ignored index; the mean divides by the sum of the weights of the targets not ignored.
    /// </summary>
    /// <param name="input">Log-probabilities, [N, C] or [N, C, d1, ...].</param>
    /// <param name="targets">Class indices: an int64 tensor shaped like the input without its class axis.</param>
    /// <param name="weight">A weight per class, [C], or null for 1.</param>
    /// <param name="ignoreIndex">Targets with this value contribute nothing.</param>
    /// <param name="reduction">Mean or sum.</param>
    public static LossValue NegativeLogLikelihood(Tensor input, Tensor targets, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        const string Name = "NLL loss";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(targets);
        RequireFloat(Name, input);
        var layout = ClassLayout.Of(Name, input);
        var classes = ClassIndices(Name, input, targets, ignoreIndex, layout);
        var w = ClassWeights(Name, weight, layout.Classes);
        var values = input.ToFloat64Array();
        var gradient = new double[values.Length];
        var (total, denominator) = (0.0, 0.0);
        for (var position = 0; position < layout.Positions; position++)
        {
            var target = classes[position];
            if (target == ignoreIndex)
                continue;
            var at = layout.At(position, (int)target);
            denominator += w[target];
            if (w[target] != 0)
                total -= w[target] * values[at];
            gradient[at] = -w[target];
        }
        return Reduce(Name, total, gradient, input, reduction, denominator);
    }

    /// <summary>The negative log-likelihood against class indices given as an array.</summary>
    /// <param name="input">Log-probabilities, [N, C] or [N, C, d1, ...].</param>
    /// <param name="targets">Class indices in row-major order of the input without its class axis.</param>
    /// <param name="reduction">Mean or sum.</param>
    /// <param name="weight">A weight per class, [C], or null for 1.</param>
    /// <param name="ignoreIndex">Targets with this value contribute nothing.</param>
    public static LossValue NegativeLogLikelihood(Tensor input, ReadOnlySpan<long> targets, Reduction reduction = Reduction.Mean, Tensor? weight = null, long ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(input);
        return NegativeLogLikelihood(input, IndexTensor("NLL loss", input, targets), weight, ignoreIndex, reduction);
    }

    /// <summary>
    /// Cross-entropy against probabilities (soft labels) shaped like the input: −Σ_c w_c·q_c·log softmax_c, with
    /// q = (1 − ε)·target + ε/C; the mean divides by the number of positions, as in PyTorch.
    /// </summary>
    private static LossValue SoftCrossEntropy(Tensor input, Tensor targets, Tensor? weight, Reduction reduction, double labelSmoothing, ClassLayout layout)
    {
        const string Name = "Cross-entropy";
        var w = ClassWeights(Name, weight, layout.Classes);
        var q = targets.ToFloat64Array();
        var logProbabilities = Activations.LogSoftmax(input.To(DType.Float64), input.Rank == 1 ? 0 : 1).ToFloat64Array();
        var gradient = new double[q.Length];
        var total = 0.0;
        for (var position = 0; position < layout.Positions; position++)
        {
            var mass = 0.0;
            for (var c = 0; c < layout.Classes; c++)
            {
                var at = layout.At(position, c);
                q[at] = (q[at] * (1 - labelSmoothing)) + (labelSmoothing / layout.Classes);
                mass += w[c] * q[at];
                if (w[c] * q[at] != 0)
                    total -= w[c] * q[at] * logProbabilities[at];
            }
            for (var c = 0; c < layout.Classes; c++)
            {
                var at = layout.At(position, c);
                gradient[at] = (Math.Exp(logProbabilities[at]) * mass) - (w[c] * q[at]);
            }
        }
        return Reduce(Name, total, gradient, input, reduction, layout.Positions);
    }

    /// <summary>The class index of every position, checked to be a class or the ignored index.</summary>
    private static long[] ClassIndices(string loss, Tensor input, Tensor targets, long ignoreIndex, ClassLayout layout)
    {
        var expected = ClassLayout.TargetShape(input);
        if (targets.DType != DType.Int64 || (targets.Shape != expected && !(input.Rank == 1 && targets.Count == 1)))
            throw new ArgumentException($"{loss} needs class indices as an int64 tensor of shape {expected} (or probabilities shaped like the input {input.Shape}) but got {targets.DType.Name()} {targets.Shape}.", nameof(targets));
        var classes = targets.ToInt64Array();
        for (var i = 0; i < classes.Length; i++)
        {
            if (classes[i] != ignoreIndex && (classes[i] < 0 || classes[i] >= layout.Classes))
                throw new ClassTargetException(loss, i, classes[i], layout.Classes, ignoreIndex);
        }
        return classes;
    }

    private static double[] ClassWeights(string loss, Tensor? weight, int classes)
    {
        if (weight is null)
            return [.. Enumerable.Repeat(1.0, classes)];
        if (weight.Rank != 1 || weight.Count != classes || !weight.DType.IsFloatingPoint())
            throw new ArgumentException($"{loss} needs one float weight per class, [{classes}], but got {weight.DType.Name()} {weight.Shape}.", nameof(weight));
        return weight.ToFloat64Array();
    }

    private static Tensor IndexTensor(string loss, Tensor input, ReadOnlySpan<long> targets)
    {
        ClassLayout.Of(loss, input);
        var shape = ClassLayout.TargetShape(input);
        if (targets.Length != shape.ElementCount)
            throw new ArgumentException($"{loss} needs one class index per position of {shape} ({shape.ElementCount}) but got {targets.Length}.", nameof(targets));
        return Tensor.FromSpan(targets, shape);
    }
}
