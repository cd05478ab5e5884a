using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// How the gradients of a step's micro-batches become one: the seam where a multi-machine trainer would put its
/// all-reduce. Whatever the transport, the sum must run in rank order, so the result is bitwise the same however the
/// work was spread (MPI's and NCCL's reductions do not promise that); see docs/scaling.md.
/// </summary>
public interface IGradientReduction
{
    /// <summary>Σ weights[i]·gradients[i], in index order.</summary>
    /// <param name="gradients">The micro-batches' gradients, in micro-batch order.</param>
    /// <param name="weights">Each micro-batch's share of the batch (its size over the batch's).</param>
    NamedTensors Reduce(IReadOnlyList<NamedTensors> gradients, IReadOnlyList<double> weights);
}

/// <summary>The reduction in this process: a weighted sum in micro-batch order (one part is returned unscaled).</summary>
public sealed class InProcessReduction : IGradientReduction
{
    /// <summary>The one instance.</summary>
    public static InProcessReduction Instance { get; } = new();

    /// <inheritdoc/>
    public NamedTensors Reduce(IReadOnlyList<NamedTensors> gradients, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(weights);
        if (gradients.Count == 0 || gradients.Count != weights.Count)
            throw new ArgumentException($"A reduction needs one weight per gradient and at least one of each but got {gradients.Count} gradients and {weights.Count} weights.");
        if (gradients.Count == 1)
            return gradients[0];
        var sum = NamedTensors.Zip(gradients[0], gradients[1], (_, g0, g1) => WeightedSum(g0, weights[0], g1, weights[1]));
        for (var i = 2; i < gradients.Count; i++)
            sum = NamedTensors.Zip(sum, gradients[i], (_, s, g) => WeightedSum(s, 1, g, weights[i]));
        return sum;
    }

    /// <summary>x·a + y·b in one pass (s·1 is exact, so later parts add as s + g·w).</summary>
    private static Tensor WeightedSum(Tensor x, double a, Tensor y, double b) => x.DType == DType.Float32
        ? Elementwise.Map<WeightedSum<float>, float>(x, y, new((float)a, (float)b))
        : Elementwise.Map<WeightedSum<double>, double>(x, y, new(a, b));
}
