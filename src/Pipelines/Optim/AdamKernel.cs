using System.Numerics;
using Pipelines.Tensors;

namespace Pipelines.Optim;

/// <summary>
/// One Adam step for one parameter tensor in a single pass: reads g, m, v and p once and writes m, v and the update
/// once, instead of a dozen whole-tensor temporaries. Each element follows the same operations, in the dtype's
/// arithmetic, as PyTorch's Adam/AdamW, so float64 results match PyTorch to rounding.
/// </summary>
internal static class AdamKernel
{
    public static (Tensor M, Tensor V, Tensor Update) Step(Tensor g, Tensor m, Tensor v, Tensor p, AdamCoefficients c) =>
        g.DType == DType.Float32 ? Step<float>(g, m, v, p, c) : Step<double>(g, m, v, p, c);

    private static (Tensor, Tensor, Tensor) Step<T>(Tensor gradient, Tensor firstMoment, Tensor secondMoment, Tensor parameter, AdamCoefficients c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = gradient.Span<T>();
        var m = firstMoment.Span<T>();
        var v = secondMoment.Span<T>();
        var p = parameter.Span<T>();
        var count = g.Length;
        var (nextM, nextV, update) = (GC.AllocateUninitializedArray<T>(count), GC.AllocateUninitializedArray<T>(count), GC.AllocateUninitializedArray<T>(count));
        var (beta1, keep1, beta2, keep2) = (T.CreateTruncating(c.Beta1), T.CreateTruncating(1 - c.Beta1), T.CreateTruncating(c.Beta2), T.CreateTruncating(1 - c.Beta2));
        var (stepSize, correction, epsilon) = (T.CreateTruncating(c.StepSize), T.CreateTruncating(c.Correction), T.CreateTruncating(c.Epsilon));
        var (coupledDecay, decoupledDecay) = (T.CreateTruncating(c.CoupledDecay), T.CreateTruncating(c.DecoupledDecay));
        for (var i = 0; i < count; i++)
        {
            var gi = c.CoupledDecay != 0 ? g[i] + (p[i] * coupledDecay) : g[i];
            var mi = (m[i] * beta1) + (gi * keep1);
            var vi = (v[i] * beta2) + (gi * gi * keep2);
            var ui = -(mi * stepSize) / ((T.Sqrt(vi) / correction) + epsilon);
            update[i] = c.DecoupledDecay != 0 ? ui - (p[i] * decoupledDecay) : ui;
            (nextM[i], nextV[i]) = (mi, vi);
        }
        return (Tensor.Own(nextM, gradient.Shape), Tensor.Own(nextV, gradient.Shape), Tensor.Own(update, gradient.Shape));
    }
}

/// <summary>The scalars of one Adam step: betas, lr/(1 − β₁ᵗ), √(1 − β₂ᵗ), ε, and the L2 or decoupled decay factors.</summary>
internal readonly record struct AdamCoefficients(double Beta1, double Beta2, double StepSize, double Correction, double Epsilon, double CoupledDecay, double DecoupledDecay);
