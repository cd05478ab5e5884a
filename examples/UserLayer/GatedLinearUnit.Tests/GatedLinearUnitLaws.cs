using FsCheck;
using FsCheck.Xunit;
using MyLayers;
using Pipelines.Tensors;
using Pipelines.Testing;

namespace MyLayers.Tests;

/// <summary>The library's laws, run on a layer of our own: each law is three lines.</summary>
public sealed class GatedLinearUnitLaws
{
    private static readonly GatedLinearUnit Glu = new(new Key(1), 8);
    private static readonly Shape Example = new(8);

    [Property]
    public Property Gradients_match_central_differences() =>
        LayerLaws.Gradients(Glu, Example);

    [Property]
    public Property Backward_is_linear_in_dy() =>
        LayerLaws.BackwardIsLinear(Glu, Example);

    [Property]
    public Property Adjoint_identity_holds() =>
        LayerLaws.Adjoint(Glu, Example);

    [Property]
    public Property Rows_are_independent() =>
        LayerLaws.BatchInvariant(Glu, Example);

    [Property]
    public Property Any_rank_works() =>
        LayerLaws.RankInvariant(Glu, 8);

    [Property]
    public Property The_state_dict_round_trips() =>
        LayerLaws.StateDictRoundTrip(Glu, Example);

    [Property]
    public Property The_same_key_builds_the_same_layer() =>
        LayerLaws.SameKeySameLayer(key => new GatedLinearUnit(key, 8));

    [Property]
    public Property Micro_batches_add_up() =>
        LayerLaws.MicroBatchAdditive(Glu, Example);

    [Property]
    public Property Every_visited_path_is_a_part() =>
        LayerLaws.PathsAreParts(Glu, Example);
}

/// <summary>The same laws on the forward-only RMSNorm, its weight moved off 1 so that its gradient is not trivial.</summary>
public sealed class RMSNormLaws
{
    private static readonly RMSNorm Norm = new(Tensor.Uniform(new Key(2), new Shape(8), 0.5, 1.5));
    private static readonly Shape Example = new(8);

    [Property]
    public Property Gradients_match_central_differences() =>
        LayerLaws.Gradients(Norm, Example);

    [Property]
    public Property Rows_are_independent() =>
        LayerLaws.BatchInvariant(Norm, Example);

    [Property]
    public Property Any_rank_works() =>
        LayerLaws.RankInvariant(Norm, 8);

    [Property]
    public Property The_state_dict_round_trips() =>
        LayerLaws.StateDictRoundTrip(Norm, Example);
}
