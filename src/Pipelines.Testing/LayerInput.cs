using Pipelines.Tensors;

namespace Pipelines.Testing;

/// <summary>
/// A generated input for a layer: leading (batch) extents, then the layer's example shape, drawn from a seed. It prints
/// as its shape and seed, and shrinks to fewer and smaller leading extents, so a failing case is small and rebuildable.
/// </summary>
/// <param name="Leading">The leading extents (may be empty or hold zeros).</param>
/// <param name="Example">The shape one example has, e.g. [8] for a layer of 8 features.</param>
/// <param name="Seed">The seed of the values.</param>
/// <param name="DType">The values' dtype.</param>
/// <param name="Special">Which special values may appear.</param>
public sealed record LayerInput(int[] Leading, Shape Example, ulong Seed, DType DType = DType.Float64, SpecialValues Special = SpecialValues.None)
{
    /// <summary>The input's shape: the leading extents, then the example's.</summary>
    public Shape Shape => new([.. Leading, .. Example.Dims]);

    /// <summary>The input tensor (the same every time for this record).</summary>
    public Tensor Tensor => Generate.Values(new Key(Seed), Shape, DType, Special);

    /// <summary>e.g. <c>input [2, 0, 8] float64, seed 42</c>.</summary>
    public override string ToString() => $"input {Shape} {DType.Name()}, seed {Seed}{(Special == SpecialValues.None ? string.Empty : $", with {Special}")}";
}
