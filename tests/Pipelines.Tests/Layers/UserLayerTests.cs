using Pipelines.Autodiff;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Layers;

/// <summary>Layers written in another assembly get everything the library's own get: names, keys, taps, gradients, state dicts.</summary>
public sealed class UserLayerTests
{
    private static readonly Chain Model = new Linear(new Key(1), 5, 4) >> GatedUnit.Create(new Key(2), 4) >> new Linear(new Key(3), 4, 2);

    [Fact]
    public void State_dict_names_follow_the_parts_of_a_users_composite()
    {
        Assert.Equal(
            ["0.weight", "0.bias", "1.value.weight", "1.value.bias", "1.gate.weight", "1.gate.bias", "1.scale.weight", "1.norm.weight", "1.norm.bias", "2.weight", "2.bias"],
            Model.NamedParameters().Names);
        Assert.Equal(["1.norm.running_mean", "1.norm.running_var", "1.norm.num_batches_tracked"], Model.NamedBuffers().Names);
    }

    [Fact]
    public void Two_dropouts_inside_a_users_composite_draw_different_masks_and_the_same_context_draws_the_same()
    {
        var masks = new Dictionary<string, Tensor>();
        var context = ForwardContext.Training(new Key(4)) with { Tap = (path, layer, input, output) => { if (layer is Dropout) masks[path] = output / input; } };
        var x = Tensor.Ones(new Shape(64, 5));
        Model.Forward(x, context);
        var first = masks.ToDictionary();
        Model.Forward(x, context);
        Assert.Equal(["1.value_dropout", "1.gate_dropout"], first.Keys.Order(StringComparer.Ordinal).Reverse());
        Assert.False(first["1.value_dropout"].AllClose(first["1.gate_dropout"], equalNaN: true));
        Assert.True(first["1.value_dropout"].BitwiseEquals(masks["1.value_dropout"]));
    }

    [Fact]
    public void Taps_fire_at_every_path_of_a_users_composite_children_first()
    {
        var paths = new List<string>();
        Model.Forward(Tensor.Ones(new Shape(3, 5)), ForwardContext.Evaluation with { Tap = (path, _, _, _) => paths.Add(path) });
        Assert.Equal(["0", "1.value", "1.gate", "1.value_dropout", "1.gate_dropout", "1.scale", "1.norm", "1", "2", ""], paths);
    }

    [Fact]
    public void GradCheck_passes_on_a_users_leaf_and_composite()
    {
        var wide = (Chain)Model.To(DType.Float64);
        var x = Tensor.Normal(new Key(5), new Shape(6, 5), dtype: DType.Float64);
        var report = GradCheck.Layer(wide, x, ForwardContext.Training(new Key(6)));
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(6 * 5 + wide.ParameterCount(), report.Checked);
        var leaf = GradCheck.Layer(new FeatureScale(Tensor.Normal(new Key(7), new Shape(3), dtype: DType.Float64)), Tensor.Normal(new Key(8), new Shape(2, 2, 3), dtype: DType.Float64));
        Assert.True(leaf.Passed, leaf.ToString());
    }

    [Fact]
    public void A_users_composite_saves_and_loads_by_name_bitwise()
    {
        var path = Path.Combine(Path.GetTempPath(), $"user-layers-{Guid.NewGuid():N}.safetensors");
        try
        {
            var trained = Gradients.ValueAndGrad(Model, Tensor.Normal(new Key(9), new Shape(8, 5)), y => Loss.MeanSquaredError(y, Tensor.Zeros(y.Shape)), ForwardContext.Training(new Key(10))).Model;
            StateDict.Save(path, trained);
            var fresh = new Linear(new Key(11), 5, 4) >> GatedUnit.Create(new Key(12), 4) >> new Linear(new Key(13), 4, 2);
            var loaded = StateDict.Load(fresh, SafeTensors.Load(path));
            Assert.Equal(StateDict.Of(trained).Keys, StateDict.Of(loaded).Keys);
            Assert.All(StateDict.Of(trained), e => Assert.True(e.Value.BitwiseEquals(StateDict.Of(loaded)[e.Key]), e.Key));
            Assert.Equal(1L, ((GatedUnit)loaded.Layers[1]).Norm.NumBatchesTracked!.Item<long>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_training_step_carries_a_users_composites_buffers_and_trains_its_leaf()
    {
        var optimizer = Optimizers.Adam(0.01);
        var model = Model;
        var state = optimizer.Init(model);
        for (var i = 0; i < 3; i++)
        {
            var step = Gradients.ValueAndGrad(model, Tensor.Normal(new Key((ulong)i), new Shape(8, 5)), y => Loss.MeanSquaredError(y, Tensor.Zeros(y.Shape)), ForwardContext.Training(new Key(20).Fold((ulong)i)));
            (model, state) = optimizer.Step(step, state);
        }
        var unit = (GatedUnit)model.Layers[1];
        Assert.Equal(3L, unit.Norm.NumBatchesTracked!.Item<long>());
        Assert.False(unit.Scale.Weight.BitwiseEquals(((GatedUnit)Model.Layers[1]).Scale.Weight));
    }

    [Fact]
    public void A_layer_that_lists_parts_without_rebuilding_them_says_so()
    {
        var e = Assert.Throws<NotSupportedException>(() => new Unbuildable(Tensor.Ones(new Shape(2))).MapParameters((_, p) => p * 2));
        Assert.Contains("Unbuildable lists parameters, buffers or children in Parts but does not override Rebuild", e.Message, StringComparison.Ordinal);
    }

    private sealed record Unbuildable(Tensor Weight) : Layer
    {
        public override LayerParts Parts => new() { Parameters = [("weight", Weight)] };

        protected override Traced ForwardCore(Tensor x, ForwardContext context) => new(x * Weight, new InputTrace(x), this);

        protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient) => (dy * Weight, this);
    }
}
