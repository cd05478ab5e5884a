using Pipelines.Autodiff;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Optim;

public sealed class TrainingTests
{
    private static readonly Tensor X = Tensor.Normal(new Key(1), new Shape(6, 4), dtype: DType.Float64);

    private static LossValue Loss(Tensor y) => Pipelines.Losses.Loss.MeanSquaredError(y, Tensor.Ones(y.Shape, y.DType));

    [Fact]
    public void A_layer_used_twice_gets_the_sum_of_both_gradients_and_stays_tied()
    {
        var shared = new Linear(new Key(2), 4, 4, dtype: DType.Float64);
        var tied = shared >> new Tanh() >> shared;
        var untied = shared >> new Tanh() >> (Linear)shared.MapParameters((_, p) => p * 1.0);
        var separate = Gradients.ValueAndGrad(untied, X, Loss, ForwardContext.Training(new Key(0))).Gradient.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        var gradient = Gradients.ValueAndGrad(tied, X, Loss, ForwardContext.Training(new Key(0))).Gradient.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        var sum = separate["0.weight"] + separate["2.weight"];
        Assert.True(gradient["0.weight"].AllClose(sum, 1e-12, 1e-12));
        Assert.True(gradient["2.weight"].BitwiseEquals(gradient["0.weight"]));

        var optimizer = Optimizers.Adam(0.01);
        var state = optimizer.Init(tied);
        Layer model = tied;
        for (var step = 0; step < 3; step++)
        {
            var g = Gradients.ValueAndGrad(model, X, Loss, ForwardContext.Training(new Key(0))).Gradient;
            (var updates, state) = optimizer.Update(g, state, model);
            model = Gradients.ApplyUpdates(model, updates);
        }
        var parameters = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        Assert.Same(parameters["0.weight"], parameters["2.weight"]);
    }

    [Fact]
    public void Schedules_follow_PyTorchs_formulas()
    {
        Assert.Equal(0.01, Schedules.Step(1, stepSize: 10, gamma: 0.1)(25), 12);
        Assert.Equal(0.5, Schedules.Cosine(1, steps: 100)(50), 12);
        Assert.Equal(0.5, Schedules.Cosine(1, steps: 100)(150), 12);
        Assert.Equal(0.5, Schedules.Warmup(Schedules.Constant(1), 4, startFactor: 0)(2), 12);
        Assert.Equal(1.0, Schedules.Warmup(Schedules.Constant(1), 4)(4), 12);
    }

    [Fact]
    public void Bad_optimizer_settings_and_states_get_clear_errors()
    {
        Assert.Contains("Nesterov needs momentum > 0", Assert.Throws<ArgumentException>(() => Optimizers.Sgd(0.1, nesterov: true)).Message, StringComparison.Ordinal);
        Assert.Contains("betas in [0, 1)", Assert.Throws<ArgumentException>(() => Optimizers.Adam(beta1: 1)).Message, StringComparison.Ordinal);
        var model = new Linear(new Key(5), 2, 2);
        Assert.Contains("needs the AdamState", Assert.Throws<ArgumentException>(() => Optimizers.Adam().Update(model, EmptyState.Instance, model)).Message, StringComparison.Ordinal);
        Assert.Contains("'bias' is missing from the second", Assert.Throws<ArgumentException>(() => Gradients.ApplyUpdates(model, new Linear(new Key(6), 2, 2, bias: false))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Clip.GradNorm(model, 0));
    }
}
