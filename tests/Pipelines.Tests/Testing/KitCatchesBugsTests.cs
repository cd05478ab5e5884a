using FsCheck;
using FsCheck.Fluent;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Pipelines.Testing;
using Pipelines.Tests.Layers;
using Xunit;

namespace Pipelines.Tests.Testing;

/// <summary>The testing kit catches each bug it is meant to, with a message that names the law and where, and passes correct layers.</summary>
public sealed class KitCatchesBugsTests
{
    private static string Failure(Property property)
    {
        var error = Assert.ThrowsAny<Exception>(() => property.QuickCheckThrowOnFailure());
        return error.Message;
    }

    [Fact]
    public void A_transposed_weight_gradient_fails_the_gradient_law_at_the_weight()
    {
        var broken = new TransposedWeightGradient(new Linear(new Key(1), 4, 4));
        var message = Failure(LayerLaws.Gradients(broken, new Shape(4)));
        Assert.Contains("Gradients: backward against float64 central differences", message, StringComparison.Ordinal);
        Assert.Contains("worst inner.weight[", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_bias_gradient_fails_the_gradient_law_at_the_bias()
    {
        var broken = new MissingBiasGradient(new Linear(new Key(2), 3, 5));
        var message = Failure(LayerLaws.Gradients(broken, new Shape(3)));
        Assert.Contains("worst inner.bias[", message, StringComparison.Ordinal);
        Assert.Contains("analytic 0,", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dropout_that_ignores_its_key_fails_the_key_law()
    {
        var message = Failure(LayerLaws.KeyDeterminesRandomness(new KeylessDropout(0.5), new Shape(6)));
        Assert.Contains("KeyDeterminesRandomness: two training passes with Key(", message, StringComparison.Ordinal);
        Assert.Contains("context.LayerKey", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dropout_that_seeds_its_own_generator_fails_the_key_law_once_it_says_it_draws()
    {
        var message = Failure(LayerLaws.KeyDeterminesRandomness(new SeededDropout(0.5), new Shape(6), draws: true));
        Assert.Contains("eight different keys gave the same draws", message, StringComparison.Ordinal);
    }

    /// <summary>A mean that divides by the rows instead of every element, consistently in value and gradient, still fails.</summary>
    [Fact]
    public void A_mean_that_divides_by_the_wrong_count_fails_the_reduction_law()
    {
        static LossValue RowMean(Tensor x, Tensor t, Reduction r)
        {
            var sum = Loss.MeanSquaredError(x, t, Reduction.Sum);
            return r == Reduction.Mean ? new LossValue(sum.Value / x.Shape[0], sum.Gradient / x.Shape[0]) : sum;
        }

        var message = Failure(LossLaws.ReductionConsistent(RowMean, new Shape(3), (x, key) => Tensor.Normal(key, x.Shape, dtype: x.DType)));
        Assert.Contains("does the mean divide by the count PyTorch's does?", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_buffer_missing_from_the_state_dict_fails_the_round_trip_law()
    {
        var message = Failure(LayerLaws.StateDictRoundTrip(new UnlistedBuffer(Tensor.Zeros(new Shape(3))), new Shape(3)));
        Assert.Contains("StateDictRoundTrip: the layer loaded from its saved state dict gives other outputs", message, StringComparison.Ordinal);
    }

    /// <summary>The kit passes what is right: a user's leaf layer, the library's layers, a loss and an optimizer.</summary>
    [Fact]
    public void Correct_layers_losses_and_optimizers_pass_every_law()
    {
        var scale = new FeatureScale(Tensor.Uniform(new Key(3), new Shape(5), 0.5, 1.5));
        var linear = new Linear(new Key(4), 5, 3);
        var network = linear >> new Tanh() >> new Linear(new Key(5), 3, 2);
        foreach (var property in new[]
        {
            LayerLaws.Gradients(scale, new Shape(5)),
            LayerLaws.BackwardIsLinear(network, new Shape(5)),
            LayerLaws.Adjoint(network, new Shape(5)),
            LayerLaws.BatchInvariant(network, new Shape(5)),
            LayerLaws.RankInvariant(network, 5),
            LayerLaws.ParameterAlgebra(network),
            LayerLaws.StateDictRoundTrip(network >> new BatchNorm1d(2), new Shape(5)),
            LayerLaws.SameKeySameLayer(key => new Linear(key, 5, 3)),
            LayerLaws.KeyDeterminesRandomness(linear >> new Dropout(0.3), new Shape(5), draws: true),
            LayerLaws.MicroBatchAdditive(network, new Shape(5)),
            LossLaws.Gradient((x, t) => Loss.CrossEntropy(x, t), new Shape(4), Classes(4), maxLeadingRank: 1),
            LossLaws.ReductionConsistent((x, t, r) => Loss.MeanSquaredError(x, t, r), new Shape(3), (x, key) => Tensor.Normal(key, x.Shape, dtype: x.DType)),
            OptimizerLaws.IdentityIsNeutral(Optimizers.AdamW(1e-3), network),
            OptimizerLaws.FrozenParametersStayFrozen(Optimizers.Adam(1e-2), network),
        })
        {
            property.QuickCheckThrowOnFailure();
        }
    }

    /// <summary>Class indices for [N, C] scores.</summary>
    private static Func<Tensor, Key, Tensor> Classes(int classes) => (x, key) =>
        Tensor.FromArray(Tensor.Uniform(key, new Shape(x.Shape[0]), dtype: DType.Float64).ToFloat64Array().Select(u => (long)(u * classes)).ToArray(), x.Shape[0]);
}
