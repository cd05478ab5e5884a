using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Losses;

public static partial class Loss
{
    /// <summary>
    /// Cross-entropy of logits [N, C] against class indices, like <c>F.cross_entropy</c>: −log softmax at the target,
    /// or with label smoothing ε the target distribution (1 − ε)·onehot + ε/C. The gradient is softmax − target distribution.
    /// </summary>
    public static LossValue CrossEntropy(Tensor logits, ReadOnlySpan<long> targets, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must lie in [0, 1].");
        var (rows, classes) = CheckClassification("Cross-entropy", logits, targets);
        var logProbabilities = Activations.LogSoftmax(logits.To(DType.Float64)).ToFloat64Array();
        var (terms, gradient) = (new double[rows], new double[logProbabilities.Length]);
        for (var n = 0; n < rows; n++)
        {
            var row = logProbabilities.AsSpan(n * classes, classes);
            var sum = 0.0;
            for (var c = 0; c < classes; c++)
            {
                var wanted = ((c == targets[n] ? 1 : 0) * (1 - labelSmoothing)) + (labelSmoothing / classes);
                sum -= wanted * row[c];
                gradient[(n * classes) + c] = Math.Exp(row[c]) - wanted;
            }
            terms[n] = sum;
        }
        return Reduce(terms, gradient, logits, reduction);
    }

    /// <summary>The negative log-likelihood of log-probabilities [N, C] at the target classes, like <c>F.nll_loss</c>.</summary>
    public static LossValue NegativeLogLikelihood(Tensor logProbabilities, ReadOnlySpan<long> targets, Reduction reduction = Reduction.Mean)
    {
        var (rows, classes) = CheckClassification("NLL loss", logProbabilities, targets);
        var values = logProbabilities.ToFloat64Array();
        var (terms, gradient) = (new double[rows], new double[values.Length]);
        for (var n = 0; n < rows; n++)
        {
            terms[n] = -values[(n * classes) + (int)targets[n]];
            gradient[(n * classes) + (int)targets[n]] = -1;
        }
        return Reduce(terms, gradient, logProbabilities, reduction);
    }

    /// <summary>
    /// Binary cross-entropy of probabilities in [0, 1] against targets in [0, 1], like <c>F.binary_cross_entropy</c>:
    /// logarithms are clamped at −100 and the gradient's denominator at 1e-12, as PyTorch does.
    /// </summary>
    public static LossValue BinaryCrossEntropy(Tensor probabilities, Tensor targets, Reduction reduction = Reduction.Mean)
    {
        var (p, t) = Pair("Binary cross-entropy", probabilities, targets);
        var outside = Array.FindIndex(p, v => !(v >= 0 && v <= 1));
        if (outside >= 0)
            throw new ArgumentException($"Binary cross-entropy needs probabilities in [0, 1] but element {outside} is {p[outside]}; for logits use BinaryCrossEntropyWithLogits.", nameof(probabilities));
        var (terms, gradient) = (new double[p.Length], new double[p.Length]);
        for (var i = 0; i < p.Length; i++)
        {
            terms[i] = -((t[i] * Math.Max(Math.Log(p[i]), -100)) + ((1 - t[i]) * Math.Max(Math.Log(1 - p[i]), -100)));
            gradient[i] = (p[i] - t[i]) / Math.Max((1 - p[i]) * p[i], 1e-12);
        }
        return Reduce(terms, gradient, probabilities, reduction);
    }

    /// <summary>
    /// Binary cross-entropy of logits, like <c>F.binary_cross_entropy_with_logits</c>, in the form
    /// max(z, 0) − z·t + log(1 + e^−|z|) that stays exact for |z| in the thousands; the gradient is σ(z) − t.
    /// </summary>
    public static LossValue BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean)
    {
        var (z, t) = Pair("Binary cross-entropy with logits", logits, targets);
        var (terms, gradient) = (new double[z.Length], new double[z.Length]);
        for (var i = 0; i < z.Length; i++)
        {
            terms[i] = Math.Max(z[i], 0) - (z[i] * t[i]) + SpecialFunctions.Log1p(Math.Exp(-Math.Abs(z[i])));
            gradient[i] = SpecialFunctions.Logistic(z[i]) - t[i];
        }
        return Reduce(terms, gradient, logits, reduction);
    }

    private static (int Rows, int Classes) CheckClassification(string loss, Tensor scores, ReadOnlySpan<long> targets)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Rank != 2)
            throw new ArgumentException($"{loss} needs scores [N, C] but got {scores.Shape}.", nameof(scores));
        var (rows, classes) = (scores.Shape[0], scores.Shape[1]);
        if (targets.Length != rows)
            throw new ArgumentException($"{loss} needs one class index per row: {rows} rows but {targets.Length} targets.", nameof(targets));
        for (var n = 0; n < rows; n++)
        {
            if (targets[n] < 0 || targets[n] >= classes)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[n], $"{loss}: target {n} is class {targets[n]}, outside [0, {classes}).");
        }
        return (rows, classes);
    }
}
