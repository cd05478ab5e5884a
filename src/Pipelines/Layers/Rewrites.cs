using System.Collections.Immutable;
using System.Globalization;
using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>What a rewrite did: the new model, each change made, and each place it did not apply with the reason.</summary>
/// <param name="Model">The rewritten model (for evaluation only: training-time behaviour such as dropout is gone).</param>
/// <param name="Applied">The changes, e.g. <c>folded BatchNorm1d '1' into Linear '0'</c>.</param>
/// <param name="Refused">Where a rewrite did not apply, and why.</param>
public sealed record RewriteResult(Layer Model, ImmutableArray<string> Applied, ImmutableArray<string> Refused)
{
    /// <summary>One line per change and per refusal.</summary>
    public override string ToString() =>
        string.Join(Environment.NewLine, Applied.Select(a => "applied: " + a).Concat(Refused.Select(r => "refused: " + r)));
}

/// <summary>
/// Turns a trained model into an equal, faster one for evaluation, each rewrite with a stated error. Rewrites look into
/// chains (and residual branches and chains within them): <see cref="MergeLoRA"/>, <see cref="DropInactive"/>,
/// <see cref="FoldBatchNorm"/>, <see cref="FuseLinears"/>, or all four in that order with <see cref="ForInference"/>.
/// Folded and fused weights are computed in float64 and rounded once to the layer's dtype. With u the unit roundoff
/// (2⁻²⁴ in float32), K the length of the original computation's reductions (in for a fold, in + mid for a fused pair,
/// in + r for a LoRA merge) and Σ|terms| the original computation done in absolute values (e.g.
/// |W₂|·(|W₁|·|x| + |b₁|) + |b₂| for a fused pair), each output element satisfies |y′ − y| ≤ 2·(K + 3)·u·Σ|terms|:
/// both the original and the rewritten results lie within (K + 3)·u·Σ|terms| of the exact value (the classical bound
/// γ_K for a dot product, plus the rounding of the folded weights and of the bias). Dropping inactive layers changes no bit.
/// </summary>
public static class Rewrites
{
    /// <summary>All rewrites: merge LoRA adapters, drop inactive layers, fold BatchNorm, fuse linear pairs.</summary>
    /// <param name="model">The trained model.</param>
    public static RewriteResult ForInference(Layer model)
    {
        var steps = new Func<Layer, RewriteResult>[] { MergeLoRA, DropInactive, FoldBatchNorm, FuseLinears };
        var (current, applied, refused) = (model, ImmutableArray.CreateBuilder<string>(), ImmutableArray.CreateBuilder<string>());
        foreach (var step in steps)
        {
            var result = step(current);
            current = result.Model;
            applied.AddRange(result.Applied);
            refused.AddRange(result.Refused);
        }
        return new RewriteResult(current, applied.ToImmutable(), refused.ToImmutable());
    }

    /// <summary>Merges each <see cref="LoRA"/> adapter into its base weight: W + (α/r)·B·A.</summary>
    /// <param name="model">The model.</param>
    public static RewriteResult MergeLoRA(Layer model) => Rewrite(model, (names, layers, log) =>
    {
        var result = new List<(string, Layer)>();
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not LoRA lora)
            {
                result.Add((names[i], layers[i]));
                continue;
            }
            var scale = lora.Alpha / lora.Rank;
            var weight = Add(Wide(lora.Base.Weight), Scale(MatMul(lora.B.Weight, lora.A.Weight), scale));
            result.Add((names[i], new Linear(Narrow(weight, lora.Base.Weight), lora.Base.Bias)));
            log.Applied($"merged LoRA '{names[i]}' (rank {lora.Rank}, scale {scale.ToString(CultureInfo.InvariantCulture)}) into its base weight");
        }
        return result;
    });

    /// <summary>Drops <see cref="Dropout"/> (the identity in evaluation) and <see cref="Identity"/>: exact, no bit changes.</summary>
    /// <param name="model">The model.</param>
    public static RewriteResult DropInactive(Layer model) => Rewrite(model, (names, layers, log) =>
    {
        var result = new List<(string, Layer)>();
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is Dropout or Identity)
                log.Applied($"dropped {layers[i].GetType().Name} '{names[i]}' (the identity in evaluation)");
            else
                result.Add((names[i], layers[i]));
        }
        return result;
    });

    /// <summary>
    /// Folds an evaluation-mode <see cref="BatchNorm1d"/> into the <see cref="Linear"/> before it: with s = γ/√(σ² + ε),
    /// W′ = s·W (row by row) and b′ = s·(b − μ) + β. It assumes [N, C] input, where the norm's channels are the linear's
    /// outputs; a norm without running statistics (it normalises each batch by itself) or after another layer is refused.
    /// </summary>
    /// <param name="model">The model.</param>
    public static RewriteResult FoldBatchNorm(Layer model) => Rewrite(model, (names, layers, log) =>
    {
        var result = new List<(string, Layer)>();
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not BatchNorm1d norm)
            {
                result.Add((names[i], layers[i]));
                continue;
            }
            if (!norm.TrackRunningStats)
            {
                log.Refused($"BatchNorm1d '{names[i]}' keeps no running statistics: in evaluation it normalises each batch by its own, which no fixed Linear can do");
                result.Add((names[i], norm));
                continue;
            }
            if (result.Count == 0 || result[^1].Item2 is not Linear linear || linear.OutFeatures != norm.Features)
            {
                log.Refused($"BatchNorm1d '{names[i]}' does not follow a Linear of {norm.Features} outputs{(result.Count == 0 ? string.Empty : $" (it follows {result[^1].Item2.GetType().Name} '{result[^1].Item1}')")}");
                result.Add((names[i], norm));
                continue;
            }
            var (mean, variance) = (Wide(norm.RunningMean!), Wide(norm.RunningVar!));
            var gamma = norm.Weight is null ? Enumerable.Repeat(1.0, norm.Features).ToArray() : Wide(norm.Weight);
            var beta = norm.Weight is null ? new double[norm.Features] : Wide(norm.Bias!);
            var scale = Enumerable.Range(0, norm.Features).Select(c => gamma[c] / Math.Sqrt(variance[c] + norm.Eps)).ToArray();
            var weight = Wide(linear.Weight);
            var inputs = linear.InFeatures;
            for (var o = 0; o < norm.Features; o++)
            {
                for (var k = 0; k < inputs; k++)
                    weight[(o * inputs) + k] *= scale[o];
            }
            var bias = linear.Bias is null ? new double[norm.Features] : Wide(linear.Bias);
            for (var o = 0; o < norm.Features; o++)
                bias[o] = (scale[o] * (bias[o] - mean[o])) + beta[o];
            result[^1] = (result[^1].Item1, new Linear(Narrow(weight, linear.Weight), Narrow(bias, linear.Weight, new Shape(norm.Features))));
            log.Applied($"folded BatchNorm1d '{names[i]}' into Linear '{result[^1].Item1}'");
        }
        return result;
    });

    /// <summary>
    /// Fuses Linear(W₂, b₂) ∘ Linear(W₁, b₁) into Linear(W₂·W₁, W₂·b₁ + b₂) when that costs fewer multiply-adds per row
    /// (in·out &lt; in·mid + mid·out); a bottleneck such as 784→32→784 is kept apart, with the costs in the reason.
    /// </summary>
    /// <param name="model">The model.</param>
    public static RewriteResult FuseLinears(Layer model) => Rewrite(model, (names, layers, log) =>
    {
        var result = new List<(string, Layer)>();
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not Linear second || result.Count == 0 || result[^1].Item2 is not Linear first || first.OutFeatures != second.InFeatures || first.Weight.DType != second.Weight.DType)
            {
                result.Add((names[i], layers[i]));
                continue;
            }
            var (fused, apart) = ((long)first.InFeatures * second.OutFeatures, ((long)first.InFeatures * first.OutFeatures) + ((long)second.InFeatures * second.OutFeatures));
            var pair = $"Linear '{result[^1].Item1}' ({first.InFeatures}→{first.OutFeatures}) and Linear '{names[i]}' ({second.InFeatures}→{second.OutFeatures})";
            if (fused >= apart)
            {
                log.Refused($"{pair} kept apart: fused they would cost {fused} multiply-adds per row instead of {apart}");
                result.Add((names[i], second));
                continue;
            }
            var weight = MatMul(second.Weight, first.Weight);
            var bias = second.Bias is null ? new double[second.OutFeatures] : Wide(second.Bias);
            if (first.Bias is { } b1)
            {
                var (w2, bias1) = (second.Weight.ToFloat64Array(), Wide(b1));
                for (var o = 0; o < second.OutFeatures; o++)
                {
                    for (var m = 0; m < second.InFeatures; m++)
                        bias[o] += w2[(o * second.InFeatures) + m] * bias1[m];
                }
            }
            var hasBias = first.Bias is not null || second.Bias is not null;
            result[^1] = (result[^1].Item1, new Linear(Narrow(weight, first.Weight, new Shape(second.OutFeatures, first.InFeatures)), hasBias ? Narrow(bias, first.Weight, new Shape(second.OutFeatures)) : null));
            log.Applied($"fused {pair} into one {first.InFeatures}→{second.OutFeatures} ({fused} instead of {apart} multiply-adds per row)");
        }
        return result;
    });

    /// <summary>Applies a rewrite of a chain's (names, layers) to every chain of the model, residual branches included.</summary>
    private static RewriteResult Rewrite(Layer model, Func<IReadOnlyList<string>, IReadOnlyList<Layer>, Log, List<(string, Layer)>> rewrite)
    {
        ArgumentNullException.ThrowIfNull(model);
        var log = new Log();
        var rewritten = Visit(model, rewrite, log, "model");
        return new RewriteResult(rewritten, log.AppliedList.ToImmutable(), log.RefusedList.ToImmutable());
    }

    private static Layer Visit(Layer layer, Func<IReadOnlyList<string>, IReadOnlyList<Layer>, Log, List<(string, Layer)>> rewrite, Log log, string path)
    {
        switch (layer)
        {
            case Chain chain:
                var children = chain.Layers.Select((child, i) => Visit(child, rewrite, log, chain.Names[i])).ToList();
                var result = rewrite(chain.Names, children, log);
                if (result.Count <= 1)
                    return result.Count == 0 ? new Identity() : result[0].Item2;
                return chain.IsIndexed ? new Chain(result.Select(r => r.Item2)) : Chain.Named(result);
            case Residual residual:
                return new Residual(Visit(residual.Fn, rewrite, log, path));
            default:
                var single = rewrite([path], [layer], log);
                return single.Count switch
                {
                    0 => new Identity(),
                    1 => single[0].Item2,
                    _ => new Chain(single.Select(r => r.Item2)),
                };
        }
    }

    private static double[] Wide(Tensor t) => t.ToFloat64Array();

    /// <summary>Rounds float64 values once to the dtype of <paramref name="like"/>, in its shape (or <paramref name="shape"/>).</summary>
    private static Tensor Narrow(double[] values, Tensor like, Shape? shape = null) => Tensor.FromSpan(values, shape ?? like.Shape).To(like.DType);

    /// <summary>a·b in float64 (the GEMM's float64 path), row-major.</summary>
    private static double[] MatMul(Tensor a, Tensor b) => Products.MatMul(a.To(DType.Float64), b.To(DType.Float64)).ToFloat64Array();

    private static double[] Add(double[] a, double[] b) => [.. a.Zip(b, (x, y) => x + y)];

    private static double[] Scale(double[] a, double s) => [.. a.Select(x => x * s)];

    /// <summary>The changes and refusals a rewrite records as it goes.</summary>
    private sealed class Log
    {
        public ImmutableArray<string>.Builder AppliedList { get; } = ImmutableArray.CreateBuilder<string>();

        public ImmutableArray<string>.Builder RefusedList { get; } = ImmutableArray.CreateBuilder<string>();

        public void Applied(string change) => AppliedList.Add(change);

        public void Refused(string reason) => RefusedList.Add(reason);
    }
}
