using Pipelines.Tensors;

namespace Pipelines.Losses;

public static partial class Loss
{
    /// <summary>
    /// Binary cross-entropy of probabilities in [0, 1] against targets in [0, 1], like <c>F.binary_cross_entropy</c>:
    /// −w·(t·log p + (1 − t)·log(1 − p)) with the logarithms clamped at −100 and the gradient's denominator at 1e-12, as
    /// PyTorch does; the mean is over elements.
    /// </summary>
    /// <param name="probabilities">The predicted probabilities.</param>
    /// <param name="targets">The targets, shaped like the predictions.</param>
    /// <param name="reduction">Mean or sum.</param>
    /// <param name="weight">A weight per element, broadcast to the input's shape; null for 1.</param>
    public static LossValue BinaryCrossEntropy(Tensor probabilities, Tensor targets, Reduction reduction = Reduction.Mean, Tensor? weight = null)
    {
        const string Name = "Binary cross-entropy";
        var (p, t) = Pair(Name, probabilities, targets);
        var w = Broadcast(Name, "weight", weight, probabilities);
        var outside = Array.FindIndex(p, v => !(v >= 0 && v <= 1));
        if (outside >= 0)
            throw new ArgumentException($"{Name} needs probabilities in [0, 1] but element {outside} is {p[outside]}; for logits use BinaryCrossEntropyWithLogits.", nameof(probabilities));
        var (terms, gradient) = (new double[p.Length], new double[p.Length]);
        for (var i = 0; i < p.Length; i++)
        {
            terms[i] = -w[i] * ((t[i] * Math.Max(Math.Log(p[i]), -100)) + ((1 - t[i]) * Math.Max(Math.Log(1 - p[i]), -100)));
            gradient[i] = w[i] * (p[i] - t[i]) / Math.Max((1 - p[i]) * p[i], 1e-12);
        }
        return Reduce(Name, terms, gradient, probabilities, reduction);
    }

    /// <summary>
    /// Binary cross-entropy of logits, like <c>F.binary_cross_entropy_with_logits</c>: w·(pw·t·softplus(−z) + (1 − t)·softplus(z)),
    /// with softplus in its overflow-free form, so it is exact for |z| in the thousands and +∞ (not NaN) at z = ±∞ wherever
    /// the loss is infinite; the gradient w·((1 − t)·σ(z) − pw·t·σ(−z)) stays finite.
    /// </summary>
    /// <param name="logits">The logits z.</param>
    /// <param name="targets">The targets t in [0, 1], shaped like the logits.</param>
    /// <param name="reduction">Mean or sum.</param>
    /// <param name="weight">A weight per element, broadcast to the input's shape; null for 1.</param>
    /// <param name="posWeight">A weight pw of positive examples per class (broadcast along the last axis, like <c>pos_weight</c>); null for 1.</param>
    public static LossValue BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean, Tensor? weight = null, Tensor? posWeight = null)
    {
        const string Name = "Binary cross-entropy with logits";
        var (z, t) = Pair(Name, logits, targets);
        var w = Broadcast(Name, "weight", weight, logits);
        var pw = Broadcast(Name, "pos weight", posWeight, logits);
        var (terms, gradient) = (new double[z.Length], new double[z.Length]);
        for (var i = 0; i < z.Length; i++)
        {
            var (positive, negative) = (pw[i] * t[i], 1 - t[i]);
            var term = (positive == 0 ? 0 : positive * Softplus(-z[i])) + (negative == 0 ? 0 : negative * Softplus(z[i]));
            terms[i] = w[i] == 0 ? 0 : w[i] * term;
            gradient[i] = w[i] * ((negative * SpecialFunctions.Logistic(z[i])) - (positive * SpecialFunctions.Logistic(-z[i])));
        }
        return Reduce(Name, terms, gradient, logits, reduction);
    }

    /// <summary>log(1 + eˣ) without overflow: max(x, 0) + log1p(e^−|x|); +∞ at +∞ and 0 at −∞.</summary>
    private static double Softplus(double x) => Math.Max(x, 0) + SpecialFunctions.Log1p(Math.Exp(-Math.Abs(x)));
}
