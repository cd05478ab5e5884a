using Pipelines.Tensors;

namespace Pipelines.Losses;

public static partial class Loss
{
    /// <summary>(input − target)², like <c>F.mse_loss</c>.</summary>
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
        return Reduce(terms, gradient, input, reduction);
    }

    /// <summary>|input − target|, like <c>F.l1_loss</c>; the gradient at a tie is 0, as PyTorch's sign.</summary>
    public static LossValue L1(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        var (x, y) = Pair("L1 loss", input, target);
        var (terms, gradient) = (new double[x.Length], new double[x.Length]);
        for (var i = 0; i < x.Length; i++)
        {
            var d = x[i] - y[i];
            terms[i] = Math.Abs(d);
            gradient[i] = Math.Sign(d);
        }
        return Reduce(terms, gradient, input, reduction);
    }

    /// <summary>½d² where |d| ≤ δ, else δ·(|d| − ½δ), with d = input − target; like <c>F.huber_loss(delta)</c>.</summary>
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
        return Reduce(terms, gradient, input, reduction);
    }
}
