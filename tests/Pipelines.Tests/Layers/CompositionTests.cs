using Pipelines.Autodiff;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Layers;

public sealed class CompositionTests
{
    private static readonly Key[] Keys = new Key(11).Split(6);

    [Fact]
    public void Named_sub_networks_give_PyTorch_names_and_errors_name_the_path()
    {
        var autoencoder = Chain.Named(
            ("encoder", new Linear(Keys[0], 8, 4) >> new ReLU() >> new Linear(Keys[1], 4, 2)),
            ("decoder", new Linear(Keys[2], 2, 4) >> new ReLU() >> new Linear(Keys[3], 4, 8)));
        Assert.Equal(["encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias", "decoder.0.weight", "decoder.0.bias", "decoder.2.weight", "decoder.2.bias"], autoencoder.NamedParameters().Select(p => p.Key));
        var broken = autoencoder with { };
        var e = Assert.Throws<ArgumentException>(() => Chain.Named(("encoder", new Linear(Keys[0], 8, 4) >> new ReLU() >> new Linear(Keys[1], 5, 2))).Forward(Tensor.Zeros(new Shape(3, 8))));
        Assert.Contains("Linear 'encoder.2' expects input [..., 5] but got [3, 4]", e.Message, StringComparison.Ordinal);
        Assert.Equal(new Shape(3, 8), broken.Forward(Tensor.Zeros(new Shape(3, 8))).Shape);
        Assert.Contains("is used twice", Assert.Throws<ArgumentException>(() => Chain.Named(("a", new ReLU()), ("a", new ReLU()))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chains_layers_are_reached_by_position_as_by_name()
    {
        var model = new Linear(Keys[0], 4, 3) >> new ReLU() >> new Linear(Keys[1], 3, 2);
        Assert.Same(model["0"], model[0]);
        Assert.Same(model["2"], model[^1]);
        Assert.Equal(3, model.Count);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model[3]);
        Assert.Contains("The chain has 3 layers, at 0 to 2 (from the end: model[^1]), but index 3 was asked for.", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => model[-1]);
    }

    [Fact]
    public void Layers_print_as_PyTorch_modules()
    {
        Assert.Equal("LeakyReLU(negative_slope=0.2)", new LeakyReLU(0.2).ToString());
        Assert.Equal("GELU(approximate='tanh')", new GELU(Pipelines.Kernels.GeluApproximation.Tanh).ToString());
        Assert.Equal("Softplus(beta=1.0, threshold=20.0)", new Softplus().ToString());
        Assert.Equal("Dropout(p=0.5, inplace=False)", new Dropout().ToString());
        Assert.Equal("Flatten(start_dim=1, end_dim=-1)", new Flatten().ToString());
        Assert.Contains("(1): ReLU()", (new Linear(Keys[0], 2, 2) >> new ReLU()).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Dropout_drops_in_training_only_zeroes_everything_at_p_1_and_rejects_p_outside_0_1()
    {
        var x = Tensor.Ones(new Shape(1000));
        var dropped = new Dropout(0.25).Forward(x, ForwardContext.Training(new Key(1))).Output.ToFloat32Array();
        Assert.InRange(dropped.Count(v => v == 0), 180, 320);
        Assert.All(dropped.Where(v => v != 0), v => Assert.Equal(1 / 0.75f, v, 5));
        Assert.True(new Dropout(0.25).Forward(x).BitwiseEquals(x));
        Assert.True(new Dropout(1).Forward(x, ForwardContext.Training(new Key(1))).Output.BitwiseEquals(Tensor.Zeros(x.Shape)));
        Assert.Contains("[0, 1] but got 1.5", Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchNorm_returns_its_updated_statistics_and_rejects_a_single_sample()
    {
        var layer = new BatchNorm1d(3);
        // PyTorch's update: running = (1 - momentum)·running + momentum·batch statistic, the variance unbiased (n − 1),
        // over the batch and, for [N, C, L], the length axis too; the layer it ran on keeps its buffers.
        foreach (var shape in new[] { new Shape(8, 3), new Shape(4, 3, 5) })
        {
            var x = Tensor.Normal(new Key(2), shape, 5, 1);
            var next = (BatchNorm1d)layer.Forward(x, ForwardContext.Training(new Key(0))).Next;
            Assert.NotSame(layer, next);
            var values = x.ToFloat64Array();
            var (length, n) = (shape.Rank == 3 ? shape[2] : 1, shape[0] * (shape.Rank == 3 ? shape[2] : 1));
            for (var c = 0; c < 3; c++)
            {
                var channel = Enumerable.Range(0, shape[0]).SelectMany(i => Enumerable.Range(0, length).Select(l => values[(((i * 3) + c) * length) + l])).ToArray();
                var mean = channel.Average();
                var unbiased = channel.Sum(v => (v - mean) * (v - mean)) / (n - 1);
                Assert.Equal(0.1 * mean, next.RunningMean!.ToFloat64Array()[c], 5);
                Assert.Equal(0.9 + (0.1 * unbiased), next.RunningVar!.ToFloat64Array()[c], 5);
            }
            Assert.Equal(1L, next.NumBatchesTracked!.Item<long>());
        }
        Assert.True(layer.RunningMean!.BitwiseEquals(Tensor.Zeros(new Shape(3))) && layer.RunningVar!.BitwiseEquals(Tensor.Ones(new Shape(3))));
        Assert.Equal(0L, layer.NumBatchesTracked!.Item<long>());
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], layer.NamedBuffers().Select(b => b.Key));
        Assert.Contains("more than one value per channel", Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(new Shape(1, 3)), ForwardContext.Training(new Key(0)))).Message, StringComparison.Ordinal);
        Assert.Contains("expects input [N, 3]", Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(new Shape(2, 4)))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoRA_starts_as_its_base_layer_and_trains_only_the_adapter_when_masked()
    {
        var baseLayer = new Linear(Keys[0], 6, 4);
        var lora = new LoRA(baseLayer, rank: 2, Keys[1], alpha: 4);
        var x = Tensor.Normal(new Key(3), new Shape(5, 6));
        Assert.True(lora.Forward(x).AllClose(baseLayer.Forward(x)));
        var optimizer = Optimizers.Freeze(name => !name.StartsWith("lora_", StringComparison.Ordinal), Optimizers.Adam(0.1));
        var state = optimizer.Init(lora);
        var g = Gradients.ValueAndGrad(lora, x, y => Loss.MeanSquaredError(y, Tensor.Ones(y.Shape)), ForwardContext.Training(new Key(0))).Gradient;
        var trained = Gradients.ApplyUpdates(lora, optimizer.Update(g, state, lora).Updates);
        Assert.True(trained.Base.Weight.BitwiseEquals(baseLayer.Weight));
        Assert.False(trained.B.Weight.BitwiseEquals(lora.B.Weight));
    }

    [Fact]
    public void Masked_linear_keeps_masked_weights_out_of_the_output_and_the_gradient()
    {
        var linear = new Linear(Keys[0], 3, 2);
        var mask = Tensor.FromArray(new float[,] { { 1, 0, 1 }, { 0, 1, 0 } });
        var layer = new MaskedLinear(linear, mask);
        var x = Tensor.Normal(new Key(4), new Shape(4, 3));
        Assert.True(layer.Forward(x).AllClose(new Linear(linear.Weight * mask, linear.Bias).Forward(x)));
        var traced = layer.Forward(x, ForwardContext.Training(new Key(0)));
        var gradient = (MaskedLinear)layer.Backward(traced.Trace, Tensor.Ones(traced.Output.Shape)).Gradient;
        Assert.Equal(new float[] { 0, 0 }, new[] { gradient.Linear.Weight[0].ToFloat32Array()[1], gradient.Linear.Weight[1].ToFloat32Array()[0] });
        Assert.Contains("only 0 and 1", Assert.Throws<ArgumentException>(() => new MaskedLinear(linear, mask * 2)).Message, StringComparison.Ordinal);
        Assert.Equal(["bias", "mask", "weight"], StateDict.Of(layer).Keys);
    }

    [Fact]
    public void Low_rank_and_max_norm()
    {
        var lowRank = LowRankLinear.Create(Keys[0], 100, 50, rank: 4);
        Assert.Equal((100 * 4) + (4 * 50) + 50, lowRank.ParameterCount());
        Assert.Equal(["u.weight", "v.weight", "v.bias"], lowRank.NamedParameters().Select(p => p.Key));
        var big = new Linear(Tensor.FromArray(new float[,] { { 3, 4 }, { 0.3f, 0.4f } }));
        var constrained = Constraints.MaxNorm(big, 1);
        Assert.Equal(new float[] { 0.6f, 0.8f, 0.3f, 0.4f }, constrained.Weight.ToFloat32Array());
    }

    [Fact]
    public void Branches_concatenate_or_sum_and_residuals_add()
    {
        var x = Tensor.Normal(new Key(5), new Shape(3, 4));
        var (a, b) = (new Linear(Keys[0], 4, 2), new Linear(Keys[1], 4, 3));
        Assert.Equal(new Shape(3, 5), new Branches(Join.Concat, a, b).Forward(x).Shape);
        Assert.True(new Branches(Join.Sum, a, a).Forward(x).AllClose(a.Forward(x) * 2));
        Assert.True(new Residual(new Identity()).Forward(x).AllClose(x * 2));
        Assert.Contains("cannot sum", Assert.Throws<ArgumentException>(() => new Branches(Join.Sum, a, b).Forward(x)).Message, StringComparison.Ordinal);
        Assert.Contains("keep the shape", Assert.Throws<ArgumentException>(() => new Residual(a).Forward(x)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_training_step_on_the_784_256_128_10_mlp_lowers_the_loss()
    {
        var keys = new Key(0).Split(4);
        var mlp = new Linear(keys[0], 784, 256) >> new ReLU() >> new Linear(keys[1], 256, 128) >> new ReLU() >> new Linear(keys[2], 128, 10);
        var x = Tensor.Normal(keys[3], new Shape(64, 784));
        long[] labels = [.. Enumerable.Range(0, 64).Select(i => (long)(i % 10))];
        var optimizer = Optimizers.Sgd(0.1, momentum: 0.9);
        var state = optimizer.Init(mlp);
        var before = Gradients.ValueAndGrad(mlp, x, y => Loss.CrossEntropy(y, labels), ForwardContext.Training(new Key(1)));
        (var updates, state) = optimizer.Update(before.Gradient, state, mlp);
        var after = Gradients.ApplyUpdates(mlp, updates);
        Assert.True(Loss.CrossEntropy(after.Forward(x), labels).Value < before.Value);
        Assert.IsType<MomentumState>(((ChainState)state).States[0]);
    }
}
