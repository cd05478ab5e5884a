using Pipelines.Tensors;

namespace Pipelines.Losses;

public static partial class Loss
{
    /// <summary>(input − target)², like <c>F.mse_loss</c>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets, shaped like the input.</param>
    /// <param name="reduction">Mean or sum.</param>
    public static LossValue MeanSquaredError(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        var (x, y) = Pair("MSE loss", input, target);
        var (terms, gradient) = (new double[x.Length], new double[x.Length]);
        for (var i = 0; i < x.Length; i++)
        {
            var d = x[i] - y[i];
            terms[i] = d * d;
            gradient[i] = 2 * d;
        }
        return Reduce("MSE loss", terms, gradient, input, reduction);
    }

    /// <summary>|input − target|, like <c>F.l1_loss</c>; the gradient at a tie is 0, as PyTorch's sign.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets, shaped like the input.</param>
    /// <param name="reduction">Mean or sum.</param>
    public static LossValue L1(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) => SmoothL1(input, target, beta: 0, reduction);

    /// <summary>½d² where |d| ≤ δ, else δ·(|d| − ½δ), with d = input − target; like <c>F.huber_loss(delta)</c>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets, shaped like the input.</param>
    /// <param name="delta">Where the loss turns from quadratic to linear.</param>
    /// <param name="reduction">Mean or sum.</param>
    public static LossValue Huber(Tensor input, Tensor target, double delta = 1, Reduction reduction = Reduction.Mean)
    {
        if (!(delta > 0))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "Huber loss needs delta > 0.");
        var (x, y) = Pair("Huber loss", input, target);
        var (terms, gradient) = (new double[x.Length], new double[x.Length]);
        for (var i = 0; i < x.Length; i++)
        {
            var d = x[i] - y[i];
            var inside = Math.Abs(d) <= delta;
            terms[i] = inside ? 0.5 * d * d : delta * (Math.Abs(d) - (0.5 * delta));
            gradient[i] = inside ? d : delta * Math.Sign(d);
        }
        return Reduce("Huber loss", terms, gradient, input, reduction);
    }

    /// <summary>
    /// ½d²/β where |d| &lt; β, else |d| − ½β, with d = input − target; like <c>F.smooth_l1_loss(beta)</c> (β = 0 is L1,
    /// whose gradient at a tie is 0).
    /// </summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets, shaped like the input.</param>
    /// <param name="beta">Where the loss turns from quadratic to linear; 0 for L1.</param>
    /// <param name="reduction">Mean or sum.</param>
    public static LossValue SmoothL1(Tensor input, Tensor target, double beta = 1, Reduction reduction = Reduction.Mean)
    {
        if (!(beta >= 0))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "Smooth L1 loss needs beta >= 0.");
        var name = beta == 0 ? "L1 loss" : "Smooth L1 loss";
        var (x, y) = Pair(name, input, target);
        var (terms, gradient) = (new double[x.Length], new double[x.Length]);
        for (var i = 0; i < x.Length; i++)
        {
            var d = x[i] - y[i];
            var inside = Math.Abs(d) < beta;
            terms[i] = inside ? 0.5 * d * d / beta : Math.Abs(d) - (0.5 * beta);
            gradient[i] = inside ? d / beta : Math.Sign(d);
        }
        return Reduce(name, terms, gradient, input, reduction);
    }
}
