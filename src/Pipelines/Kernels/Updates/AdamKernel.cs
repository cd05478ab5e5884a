using System.Numerics;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

/// <summary>
/// One Adam step for one parameter tensor in a single pass: reads g, m, v (and the running maximum for AMSGrad) and p
/// once and writes the new moments and either the direction, the update or the new parameter. Each element follows
/// exactly the operations of the transformation chain it fuses, in the same order and dtype, so the fused optimizer
/// equals its chain bitwise: g ← g + p·λ (coupled); m ← m·β₁ + g·(1 − β₁); v ← v·β₂ + g·g·(1 − β₂);
/// d ← (m / (1 − β₁ᵗ)) / (√v̂ / √(1 − β₂ᵗ) + ε); d ← d + p·λ (decoupled); u ← d·(−lr); p ← p + u unless u = 0.
/// </summary>
public static class AdamKernel
{
    /// <summary>The new moments and, per <paramref name="output"/>, the direction d, the update u, or the new parameter.</summary>
    /// <param name="g">The gradient.</param>
    /// <param name="m">The first moment.</param>
    /// <param name="v">The second moment.</param>
    /// <param name="maximum">The running maximum of the second moment (AMSGrad), or null.</param>
    /// <param name="p">The parameter (needed for decays and for the new parameter; may be null otherwise).</param>
    /// <param name="c">The step's scalars.</param>
    /// <param name="output">What the fourth result is.</param>
    public static (Tensor M, Tensor V, Tensor? Maximum, Tensor Result) Step(Tensor g, Tensor m, Tensor v, Tensor? maximum, Tensor? p, AdamCoefficients c, AdamOutput output)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(v);
        if (p is null && (c.CoupledDecay != 0 || c.DecoupledDecay != 0 || output == AdamOutput.Parameter))
            throw new ArgumentNullException(nameof(p), "Decays and the new parameter need the parameter.");
        return g.DType switch
        {
            DType.Float32 => StepOf<float>(g, m, v, maximum, p, c, output),
            DType.Float64 => StepOf<double>(g, m, v, maximum, p, c, output),
            _ => throw new ArgumentException($"Adam needs float32 or float64 gradients but got {g.DType.Name()}.", nameof(g)),
        };
    }

    private static (Tensor, Tensor, Tensor?, Tensor) StepOf<T>(Tensor gradient, Tensor firstMoment, Tensor secondMoment, Tensor? maximumMoment, Tensor? parameter, AdamCoefficients c, AdamOutput output)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var g = gradient.AsSpan<T>();
        var m = firstMoment.AsSpan<T>();
        var v = secondMoment.AsSpan<T>();
        var vmax = maximumMoment is null ? default : maximumMoment.AsSpan<T>();
        var p = parameter is null ? default : parameter.AsSpan<T>();
        var count = g.Length;
        var nextM = GC.AllocateUninitializedArray<T>(count);
        var nextV = GC.AllocateUninitializedArray<T>(count);
        var nextMax = c.Amsgrad ? GC.AllocateUninitializedArray<T>(count) : null;
        var result = GC.AllocateUninitializedArray<T>(count);
        var (beta1, keep1, beta2, keep2) = (T.CreateTruncating(c.Beta1), T.CreateTruncating(1 - c.Beta1), T.CreateTruncating(c.Beta2), T.CreateTruncating(1 - c.Beta2));
        var (correction1, correction2, epsilon) = (T.CreateTruncating(c.BiasCorrection1), T.CreateTruncating(c.SqrtBiasCorrection2), T.CreateTruncating(c.Epsilon));
        var (coupled, decoupled, negativeRate) = (T.CreateTruncating(c.CoupledDecay), T.CreateTruncating(c.DecoupledDecay), T.CreateTruncating(-c.LearningRate));
        for (var i = 0; i < count; i++)
        {
            var gi = c.CoupledDecay != 0 ? g[i] + (p[i] * coupled) : g[i];
            var mi = (m[i] * beta1) + (gi * keep1);
            var vi = (v[i] * beta2) + (gi * gi * keep2);
            var denominatorMoment = vi;
            if (nextMax is not null)
            {
                denominatorMoment = T.Max(vmax[i], vi);
                nextMax[i] = denominatorMoment;
            }
            var d = (mi / correction1) / ((T.Sqrt(denominatorMoment) / correction2) + epsilon);
            if (c.DecoupledDecay != 0)
                d += p[i] * decoupled;
            (nextM[i], nextV[i]) = (mi, vi);
            if (output == AdamOutput.Direction)
            {
                result[i] = d;
                continue;
            }
            var u = d * negativeRate;
            result[i] = output == AdamOutput.Update ? u : u == T.Zero ? p[i] : p[i] + u;
        }
        var shape = gradient.Shape;
        return (Tensor.Own(nextM, shape), Tensor.Own(nextV, shape), nextMax is null ? null : Tensor.Own(nextMax, shape), Tensor.Own(result, shape));
    }
}

/// <summary>What <see cref="AdamKernel.Step"/> returns beside the moments.</summary>
public enum AdamOutput
{
    /// <summary>The direction m̂ / (√v̂ + ε) (plus a decoupled decay), before the learning rate: <c>ScaleByAdam</c>.</summary>
    Direction,

    /// <summary>The update −lr·direction: the optimizer's <c>Update</c>.</summary>
    Update,

    /// <summary>The new parameter p + update: the optimizer's fused <c>Apply</c>.</summary>
    Parameter,
}
