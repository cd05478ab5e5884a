using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Layers;

/// <summary>Every kind of part the generator knows: parameters, an optional one, a buffer, children, PyTorch names by attribute, and a computed property that is not a part.</summary>
public sealed partial record Attention(
    [StateName("in_proj_weight")] Tensor InputProjection,
    Tensor? InProjBias,
    Linear OutProj,
    [Buffer] Tensor Causal,
    LayerNorm? NormFirst) : DerivedLayer
{
    public int Features => OutProj.InFeatures;

    public Tensor Scale { get; init; } = Tensor.Ones(new Shape(1));

    protected override Variable Forward(Variable x, Tape tape)
    {
        var projected = Variable.MatMul(x, tape.Parameter(InputProjection).Transpose());
        var biased = InProjBias is null ? projected : projected + tape.Parameter(InProjBias);
        var normed = NormFirst is null ? biased : tape.Call(NormFirst, biased);
        return tape.Call(OutProj, normed * Causal * tape.Parameter(Scale));
    }
}

/// <summary>A record that writes its own Parts: the generator writes only Rebuild.</summary>
public sealed partial record OwnNames(Linear MLPHead, Linear Norm1) : DerivedLayer
{
    public override LayerParts Parts => new() { Children = [("head", MLPHead), ("norm1", Norm1)] };

    protected override Layer Rebuild(LayerParts parts) => this with { MLPHead = parts.Child<Linear>("head"), Norm1 = parts.Child<Linear>("norm1") };

    protected override Variable Forward(Variable x, Tape tape) => tape.Call(Norm1, tape.Call(MLPHead, x));
}

public static partial class Outer
{
    /// <summary>A layer nested in a partial class.</summary>
    public sealed partial record Nested(Linear MLPHead, Linear Norm1) : DerivedLayer
    {
        protected override Variable Forward(Variable x, Tape tape) => tape.Call(Norm1, tape.Call(MLPHead, x));
    }
}

public sealed class GeneratedPartsTests
{
    private static Attention Create(bool optional) => new(
        Tensor.Normal(new Key(1), new Shape(4, 4)),
        optional ? Tensor.Zeros(new Shape(4)) : null,
        new Linear(new Key(2), 4, 3),
        Tensor.Ones(new Shape(4)),
        optional ? new LayerNorm(4) : null);

    [Fact]
    public void Names_follow_PyTorch_snake_case_or_the_attribute_and_optional_parts_appear_when_present()
    {
        Assert.Equal(["in_proj_weight", "in_proj_bias", "scale", "out_proj.weight", "out_proj.bias", "norm_first.weight", "norm_first.bias"], Create(true).NamedParameters().Names);
        Assert.Equal(["in_proj_weight", "scale", "out_proj.weight", "out_proj.bias"], Create(false).NamedParameters().Names);
        Assert.Equal(["causal"], Create(true).NamedBuffers().Names);
        Assert.Equal(["mlp_head.weight", "mlp_head.bias", "norm1.weight", "norm1.bias"], new Outer.Nested(new Linear(new Key(3), 2, 2), new Linear(new Key(4), 2, 2)).NamedParameters().Names);
        Assert.Equal(["head.weight", "head.bias", "norm1.weight", "norm1.bias"], new OwnNames(new Linear(new Key(3), 2, 2), new Linear(new Key(4), 2, 2)).NamedParameters().Names);
    }

    [Fact]
    public void The_generated_rebuild_puts_every_part_back_under_its_name_and_the_state_dict_round_trips()
    {
        foreach (var optional in new[] { true, false })
        {
            var layer = Create(optional);
            var doubled = (Attention)layer.MapTensors((_, t) => t * 2);
            Assert.True(doubled.InputProjection.BitwiseEquals(layer.InputProjection * 2));
            Assert.True(doubled.Causal.BitwiseEquals(layer.Causal * 2));
            Assert.True(doubled.OutProj.Weight.BitwiseEquals(layer.OutProj.Weight * 2));
            Assert.Equal(optional, doubled.NormFirst is not null);
            var loaded = StateDict.Load(layer, StateDict.Of(doubled));
            var x = Tensor.Normal(new Key(5), new Shape(2, 4));
            Assert.True(loaded.Forward(x).BitwiseEquals(doubled.Forward(x)));
        }
    }
}
