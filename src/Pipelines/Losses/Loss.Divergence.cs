using Pipelines.Tensors;

namespace Pipelines.Losses;

public static partial class Loss
{
    /// <summary>
    /// The Kullback–Leibler divergence of a distribution given by log-probabilities from a target, like <c>F.kl_div</c>:
    /// t·(log t − input), or with <paramref name="logTarget"/> e^t·(t − input), a zero target contributing 0. PyTorch
    /// recommends <see cref="Reduction.BatchMean"/>, the mathematical definition; <see cref="Reduction.Mean"/> divides by every element.
    /// </summary>
    /// <param name="input">Log-probabilities.</param>
    /// <param name="target">Probabilities, or log-probabilities with <paramref name="logTarget"/>, shaped like the input.</param>
    /// <param name="reduction">BatchMean, Mean or Sum.</param>
    /// <param name="logTarget">Whether the target is given as log-probabilities.</param>
    public static LossValue KLDivergence(Tensor input, Tensor target, Reduction reduction = Reduction.BatchMean, bool logTarget = false)
    {
        const string Name = "KL divergence";
        var (x, t) = Pair(Name, input, target);
        var (total, gradient) = (0.0, new double[x.Length]);
        for (var i = 0; i < x.Length; i++)
        {
            var probability = logTarget ? Math.Exp(t[i]) : t[i];
            if (probability == 0)
                continue;
            total += probability * ((logTarget ? t[i] : Math.Log(t[i])) - x[i]);
            gradient[i] = -probability;
        }
        var batch = input.Rank == 0 ? 1 : input.Shape[0];
        return reduction == Reduction.BatchMean
            ? Reduce(Name, total, gradient, input, Reduction.Mean, batch)
            : Reduce(Name, total, gradient, input, reduction, x.Length);
    }
}
