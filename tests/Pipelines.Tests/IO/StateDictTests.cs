using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.IO;

public sealed class StateDictTests
{
    private static readonly Chain Model = new Linear(new Key(1), 4, 3) >> new ReLU() >> new Linear(new Key(2), 3, 2);

    [Fact]
    public void Names_follow_PyTorchs_state_dict()
    {
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], Model.NamedParameters().Select(p => p.Key));
        Assert.Equal((4 * 3) + 3 + (3 * 2) + 2, Model.ParameterCount());
    }

    [Fact]
    public void A_saved_model_loads_back_bitwise()
    {
        var path = Path.GetTempFileName();
        try
        {
            StateDict.Save(path, Model);
            var fresh = new Linear(new Key(8), 4, 3) >> new ReLU() >> new Linear(new Key(9), 3, 2);
            var loaded = StateDict.Load(fresh, SafeTensors.Load(path));
            Assert.All(loaded.NamedParameters().Zip(Model.NamedParameters(), (a, b) => (Loaded: a, Saved: b)), p => Assert.True(p.Loaded.Value.BitwiseEquals(p.Saved.Value), p.Loaded.Key));
            Assert.True(StateDict.TryLoad(fresh, path).IsSuccess);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Every_problem_is_reported_at_once_and_nothing_is_loaded()
    {
        var state = StateDict.Of(Model)
            .Remove("2.bias")
            .SetItem("extra.weight", Tensor.Zeros(new Shape(1)))
            .SetItem("0.weight", Tensor.Zeros(new Shape(4, 3)))
            .SetItem("2.weight", Tensor.Zeros(new Shape(5, 5)));
        var e = Assert.Throws<StateDictMismatchException>(() => StateDict.Load(Model, state));
        Assert.Equal(["2.bias"], e.Missing.ToArray());
        Assert.Equal(["extra.weight"], e.Unexpected.ToArray());
        Assert.Equal(2, e.ShapeMismatches.Length);
        Assert.Contains("'0.weight' expects [3, 4] but the state dict has [4, 3] (weight appears transposed", e.Message, StringComparison.Ordinal);
        Assert.Contains("'2.weight' expects [2, 3] but the state dict has [5, 5]", e.Message, StringComparison.Ordinal);
        Assert.Contains("Missing keys: 2.bias.", e.Message, StringComparison.Ordinal);
        Assert.Contains("Unexpected keys: 'extra.weight'.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lenient_loading_keeps_missing_parameters_and_ignores_extra_keys_but_not_wrong_shapes()
    {
        var state = StateDict.Of(Model).Remove("2.bias").SetItem("0.bias", Tensor.Ones(new Shape(3))).SetItem("unused", Tensor.Zeros(new Shape(1)));
        var loaded = StateDict.Load(Model, state, strict: false);
        Assert.Equal(new float[] { 1, 1, 1 }, loaded.NamedParameters().Single(p => p.Key == "0.bias").Value.ToFloat32Array());
        Assert.Same(Model.NamedParameters().Single(p => p.Key == "2.bias").Value, loaded.NamedParameters().Single(p => p.Key == "2.bias").Value);
        Assert.Throws<StateDictMismatchException>(() => StateDict.Load(Model, state.SetItem("0.bias", Tensor.Ones(new Shape(4))), strict: false));
    }

    [Fact]
    public void Loaded_values_take_the_parameters_dtype()
    {
        var state = StateDict.Of(Model).ToDictionary(p => p.Key, p => p.Value.To(DType.Float64));
        var loaded = StateDict.Load(Model, state);
        Assert.All(loaded.Parameters(), p => Assert.Equal(DType.Float32, p.DType));
    }
}
