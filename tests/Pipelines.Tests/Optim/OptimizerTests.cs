using Pipelines.Autodiff;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Optim;

/// <summary>Optimizers built optax's way: selection by name, AMSGrad, schedules everywhere, and state that saves or says why not.</summary>
public sealed class OptimizerTests
{
    private static readonly Tensor X = Tensor.Normal(new Key(1), new Shape(12, 5), dtype: DType.Float64);
    private static readonly Chain Model = new Linear(new Key(2), 5, 4, dtype: DType.Float64) >> new LayerNorm(4, dtype: DType.Float64) >> new Tanh() >> new Linear(new Key(3), 4, 2, dtype: DType.Float64);

    private static LossValue Loss(Tensor y) => Pipelines.Losses.Loss.MeanSquaredError(y, Tensor.Ones(y.Shape, y.DType));

    private static ValueAndGradient<Chain> Pass(Chain model, int step = 0) => Gradients.ValueAndGrad(model, X, Loss, ForwardContext.Training(new Key(4).Fold((ulong)step)));

    [Fact]
    public void Masked_applies_the_inner_transformation_to_selected_names_and_passes_the_others_through()
    {
        var g = Pass(Model).Gradient.NamedParameters();
        var parameters = Model.NamedParameters();
        var masked = Optimizers.Masked(name => name.EndsWith("weight", StringComparison.Ordinal), Optimizers.AddDecayedWeights(0.5));
        var (updates, _) = masked.Update(g, masked.Init(parameters), parameters);
        Assert.True(updates["0.bias"].BitwiseEquals(g["0.bias"]));
        Assert.True(updates["0.weight"].BitwiseEquals(g["0.weight"] + (parameters["0.weight"] * 0.5)));
    }

    [Fact]
    public void AdamW_without_decay_on_biases_and_norms_is_one_expression_and_keeps_them_undecayed()
    {
        static bool Decays(string name) => name.EndsWith("weight", StringComparison.Ordinal) && !name.StartsWith("1.", StringComparison.Ordinal);
        var zero = Model.ZerosLike();
        var optimizer = Optimizers.AdamW(0.1, weightDecay: 0.5, decayMask: Decays);
        var (after, _) = optimizer.Step(Model, zero, optimizer.Init(Model));
        var (before, moved) = (Model.NamedParameters(), after.NamedParameters());
        Assert.All(moved.Where(n => !Decays(n)), p => Assert.True(p.Value.BitwiseEquals(before[p.Key]), p.Key));
        Assert.All(moved.Where(Decays), p => Assert.True(p.Value.AllClose(before[p.Key] * (1 - 0.05), 1e-12, 1e-12), p.Key));
    }

    [Fact]
    public void MultiTransform_gives_each_group_its_own_optimizer_and_state_and_names_an_unlabelled_parameter()
    {
        var optimizer = Optimizers.MultiTransform(
            name => name.StartsWith("3.", StringComparison.Ordinal) ? "head" : "body",
            ("body", Optimizers.Sgd(0.01)),
            ("head", Optimizers.Adam(0.1)));
        var state = (GroupState)optimizer.Init(Model);
        Assert.Equal(["3.weight", "3.bias"], ((AdamState)state["head"]).FirstMoment.Names);
        var pass = Pass(Model);
        var (trained, next) = optimizer.Step(pass, state);
        Assert.Equal(1, ((AdamState)((GroupState)next)["head"]).Step);
        Assert.IsNotType<AdamState>(((GroupState)next)["body"]);
        // Each group moves exactly as its optimizer alone moves it: SGD on the body, Adam on the head.
        var (bySgd, _) = Optimizers.Sgd(0.01).Step(pass, Optimizers.Sgd(0.01).Init(Model));
        var (byAdam, _) = Optimizers.Adam(0.1).Step(pass, Optimizers.Adam(0.1).Init(Model));
        foreach (var (name, value) in trained.NamedParameters())
        {
            var alone = (name.StartsWith("3.", StringComparison.Ordinal) ? byAdam : bySgd).NamedParameters()[name];
            Assert.True(value.BitwiseEquals(alone), name);
            Assert.False(value.BitwiseEquals(Model.NamedParameters()[name]), name);
        }
        var e = Assert.Throws<ArgumentException>(() => Optimizers.MultiTransform(_ => "other", ("body", Optimizers.Identity)).Init(Model));
        Assert.Contains("Parameter '0.weight' is labelled 'other', which is none of the groups (body)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMSGrad_keeps_the_running_maximum_of_the_second_moment()
    {
        var optimizer = Optimizers.Adam(0.01, amsgrad: true);
        var (model, state) = (Model, optimizer.Init(Model));
        var maxima = new List<double>();
        for (var i = 0; i < 4; i++)
        {
            (model, state) = optimizer.Step(Pass(model, i), state);
            var adam = (AdamState)state;
            Assert.All(adam.MaximumSecondMoment!, m => Assert.True(Tensor.Maximum(m.Value, adam.SecondMoment[m.Key]).BitwiseEquals(m.Value), m.Key));
            maxima.Add(adam.MaximumSecondMoment!.Tensors.Sum(t => t.Sum().Item()));
        }
        Assert.Equal(maxima.Order(), maxima);
        Assert.Contains("max_exp_avg_sq.0.weight", OptimizerStates.ToTensors(state).Keys);
    }

    [Fact]
    public void Every_optimizer_takes_a_schedule_with_the_same_short_call_as_a_constant_rate()
    {
        var cosine = Schedules.Cosine(1e-2, 10);
        foreach (var optimizer in new[] { Optimizers.Sgd(cosine), Optimizers.Sgd(cosine, momentum: 0.9), Optimizers.Adam(cosine), Optimizers.AdamW(cosine), Optimizers.ScaleByLearningRate(cosine) })
        {
            var (model, state) = (Model, optimizer.Init(Model));
            (model, _) = optimizer.Step(Pass(model), state);
            Assert.NotEqual(Model.NamedParameters()["0.weight"].ToFloat64Array(), model.NamedParameters()["0.weight"].ToFloat64Array());
        }
    }

    /// <summary>Two steps, save through safetensors, restore, one more step: bitwise what the uninterrupted run gives, for every state type.</summary>
    [Fact]
    public void Every_state_type_saves_restores_and_continues_bitwise()
    {
        var optimizers = new (string Name, GradientTransformation Optimizer)[]
        {
            ("sgd momentum", Optimizers.Sgd(0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3)),
            ("adam amsgrad", Optimizers.Adam(1e-2, amsgrad: true)),
            ("adamw one-cycle", Optimizers.AdamW(Schedules.OneCycle(1e-2, 10), momentum: Schedules.OneCycleMomentum(10))),
            ("freeze", Optimizers.Freeze(name => name.StartsWith("1.", StringComparison.Ordinal), Optimizers.Adam(1e-2))),
            ("masked chain", Optimizers.Chain(Optimizers.ClipByGlobalNorm(0.5), Optimizers.ScaleByAdam(), Optimizers.AddDecayedWeights(1e-2, n => !n.EndsWith("bias", StringComparison.Ordinal)), Optimizers.ScaleByLearningRate(Schedules.Step(1e-2, 1, 0.5)))),
            ("plateau", Optimizers.Chain(Optimizers.AdamW(1e-2), Optimizers.ReduceOnPlateau(patience: 0))),
        };
        foreach (var (name, optimizer) in optimizers)
        {
            var (model, state) = (Model, optimizer.Init(Model));
            for (var i = 0; i < 2; i++)
            {
                var step = Pass(model, i);
                (model, state) = optimizer.Step(step, state);
                state = state.Observe(step.Value);
            }
            var saved = SafeTensors.Parse(SafeTensors.Serialize(SafeTensorsFile.FromTensors(OptimizerStates.ToTensors(state))));
            var restored = OptimizerStates.Restore(optimizer.Init(Model), saved.Tensors.ToDictionary(e => e.Key, e => e.Value.ToTensor()));
            Assert.Equal(OptimizerStates.ToTensors(state).Keys, OptimizerStates.ToTensors(restored).Keys);
            var continued = optimizer.Step(Pass(model, 2), state).Model;
            var resumed = optimizer.Step(Pass(model, 2), restored).Model;
            Assert.All(continued.NamedParameters(), p => Assert.True(p.Value.BitwiseEquals(resumed.NamedParameters()[p.Key]), $"{name}: {p.Key}"));
        }
    }

    [Fact]
    public void A_state_that_cannot_be_saved_says_which_and_restoring_never_resets_silently()
    {
        var custom = new GradientTransformation(_ => new CountingState(0), (g, s, _) => (g, new CountingState(((CountingState)s).Count + 1)));
        var e = Assert.Throws<NotSupportedException>(() => OptimizerStates.ToTensors(Optimizers.Chain(Optimizers.Sgd(0.1), custom).Init(Model)));
        Assert.Contains("CountingState cannot be saved", e.Message, StringComparison.Ordinal);

        var momentum = Optimizers.Sgd(0.1, momentum: 0.9);
        var state = momentum.Step(Pass(Model), momentum.Init(Model)).State;
        var tensors = OptimizerStates.ToTensors(state).ToDictionary();
        tensors.Remove("0.momentum_buffer.0.weight");
        Assert.Contains("has no '0.momentum_buffer.0.weight'", Assert.Throws<ArgumentException>(() => OptimizerStates.Restore(momentum.Init(Model), tensors)).Message, StringComparison.Ordinal);
        var restored = (MomentumState)((ChainState)OptimizerStates.Restore(momentum.Init(Model), OptimizerStates.ToTensors(state))).States[0];
        Assert.True(restored.Initialized);
    }

    [Fact]
    public void ReduceOnPlateau_scales_updates_down_after_patience_observations_without_improvement()
    {
        var plateau = Optimizers.ReduceOnPlateau(factor: 0.5, patience: 1);
        var state = plateau.Init(Model);
        var scales = new List<double>();
        foreach (var metric in new[] { 1.0, 0.9, 0.95, 0.95, 0.95, 0.95 })
        {
            state = state.Observe(metric);
            scales.Add(((PlateauState)state).Scale);
        }
        Assert.Equal([1, 1, 1, 0.5, 0.5, 0.25], scales);
        var g = Pass(Model).Gradient.NamedParameters();
        var (updates, _) = plateau.Update(g, state, Model.NamedParameters());
        Assert.True(updates["0.weight"].BitwiseEquals(g["0.weight"] * 0.25));
    }

    private sealed record CountingState(int Count) : OptimizerState;
}
