namespace Pipelines.Layers;

/// <summary>
/// The gated linear unit without weights, like <c>nn.GLU(dim)</c>: the input's halves a and b along
/// <see cref="Axis"/> give a ⊙ σ(b), half as wide. Written forward-only.
/// </summary>
/// <param name="Axis">The axis split in two (its extent must be even); negative counts from the end.</param>
public sealed record GLU(int Axis = -1) : DerivedLayer
{
    /// <summary>Prints as PyTorch does: <c>GLU(dim=-1)</c>.</summary>
    public override string ToString() => $"GLU(dim={Axis})";

    /// <inheritdoc/>
    protected override Variable Forward(Variable x, Tape tape)
    {
        if (x.Rank == 0 || Axis >= x.Rank || Axis < -x.Rank || x.Shape[Axis] % 2 != 0)
            throw new ArgumentException($"{Describe(tape.Path)} halves axis {Axis}, which must exist and have an even extent, but the input is {x.Shape}.", nameof(x));
        var half = x.Shape[Axis] / 2;
        return x.Narrow(Axis, 0, half) * x.Narrow(Axis, half, half).Sigmoid();
    }
}
