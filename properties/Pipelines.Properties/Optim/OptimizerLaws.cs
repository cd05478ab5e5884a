using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Autodiff;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Properties.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Optim;

[Properties(Arbitrary = [typeof(LayerArbitraries)], MaxTest = 40)]
public sealed class OptimizerLaws
{
    private static readonly ForwardContext Training = ForwardContext.Training(new Key(7));

    /// <summary>Frozen parameters stay bitwise unchanged through any number of steps, and the trained ones' Adam state holds nothing for them.</summary>
    [Property(MaxTest = 30)]
    public Property Frozen_parameters_and_their_state_stay_untouched(LayerCase c, PositiveInt steps) => Prop.When(c.Defined, () =>
    {
        var model = c.Build();
        var frozen = model.NamedParameters().Names.Where((_, i) => i % 2 == 0).ToHashSet();
        var optimizer = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.Freeze(frozen.Contains, Optimizers.Adam(0.1)));
        var state = optimizer.Init(model);
        var x = c.Input();
        for (var i = 0; i < 1 + (steps.Get % 5); i++)
            (model, state) = optimizer.Step(Gradients.ValueAndGrad(model, x, Loss, Training), state);
        var original = c.Build().NamedParameters();
        var adam = (AdamState)((GroupState)((ChainState)state).States[1])["trainable"];
        var unchanged = model.NamedParameters().Where(frozen.Contains).All(p => p.Value.BitwiseEquals(original[p.Key]));
        var noState = !adam.FirstMoment.Names.Any(frozen.Contains) && adam.FirstMoment.Count == original.Count - frozen.Count;
        return (unchanged && noState).Label(c.ToString());
    });

    [Property]
    public Property Optimizer_chains_are_associative_with_identity_as_unit(LayerCase c) => Prop.When(c.Defined, () =>
    {
        var model = c.Build();
        var g = Gradients.ValueAndGrad(model, c.Input(), Loss, Training).Gradient.NamedParameters();
        var parameters = model.NamedParameters();
        var (a, b, d) = (Optimizers.ClipByGlobalNorm(0.5), Optimizers.Sgd(0.1, momentum: 0.9), Optimizers.AddDecayedWeights(0.01));
        NamedTensors Run(GradientTransformation t)
        {
            var state = t.Init(parameters);
            (var first, state) = t.Update(g, state, parameters);
            var second = t.Update(g, state, parameters).Updates;
            return NamedTensors.Zip(first, second, (_, u, v) => u + v);
        }
        var reference = Run(Optimizers.Chain(Optimizers.Chain(a, b), d));
        var alternatives = new[] { Run(Optimizers.Chain(a, Optimizers.Chain(b, d))), Run(Optimizers.Chain(a, b, d)), Run(Optimizers.Chain(Optimizers.Identity, Optimizers.Chain(a, b, d))), Run(Optimizers.Chain(Optimizers.Chain(a, b, d), Optimizers.Identity)) };
        return alternatives.All(u => Same(u, reference)).Label(c.ToString());
    });

    /// <summary>The fused Adam and AdamW steps equal their chains of small transformations bitwise, through updates and through the fused parameter step, for several steps.</summary>
    [Property]
    public Property Fused_Adam_and_AdamW_equal_their_chains_bitwise(LayerCase c, bool amsgrad, bool decoupled) => Prop.When(c.Defined, () =>
    {
        var model = c.Build();
        Func<string, bool> noBias = name => !name.EndsWith("bias", StringComparison.Ordinal);
        var fused = decoupled ? Optimizers.AdamW(0.01, weightDecay: 0.1, amsgrad: amsgrad, decayMask: noBias) : Optimizers.Adam(0.01, weightDecay: 0.1, amsgrad: amsgrad);
        var chain = decoupled
            ? Optimizers.Chain(Optimizers.ScaleByAdam(amsgrad: amsgrad), Optimizers.AddDecayedWeights(0.1, noBias), Optimizers.ScaleByLearningRate(0.01))
            : Optimizers.Chain(Optimizers.AddDecayedWeights(0.1), Optimizers.ScaleByAdam(amsgrad: amsgrad), Optimizers.ScaleByLearningRate(0.01));
        var (m1, m2) = (model, model);
        var (s1, s2) = (fused.Init(model), chain.Init(model));
        for (var step = 0; step < 3; step++)
        {
            var g = Gradients.ValueAndGrad(m1, c.Input((ulong)step), Loss, Training).Gradient;
            var (u1, _) = fused.Update(g, s1, m1);
            var (u2, _) = chain.Update(g, s2, m2);
            if (!Same(u1, u2))
                return false.Label($"{c}: updates differ at step {step}");
            (m1, s1) = fused.Step(m1, g, s1);
            (m2, s2) = chain.Step(m2, g, s2);
            if (Compare.ParametersBitwise(m1, m2) is { } difference)
                return false.Label($"{c}: parameters differ at step {step}: {difference}");
        }
        return true.ToProperty();
    });

    /// <summary>
    /// A step handed the parameters and state to write over (as the training graph does with those it made) gives the
    /// bits of the step that allocates, for Adam and AdamW with and without AMSGrad, over several steps; and from the
    /// second step on it does write over them unless parameters are tied (the first state's moments share one tensor).
    /// </summary>
    [Property]
    public Property Writing_the_step_over_the_old_parameters_and_state_changes_no_bit(LayerCase c, bool amsgrad, bool decoupled) => Prop.When(c.Defined, () =>
    {
        var optimizer = decoupled ? Optimizers.AdamW(0.01, weightDecay: 0.1, amsgrad: amsgrad) : Optimizers.Adam(0.01, weightDecay: 0.1, amsgrad: amsgrad);
        var (kept, givenUp) = (c.Build(), c.Build());
        var (keptState, givenUpState) = (optimizer.Init(kept), optimizer.Init(givenUp));
        var tied = givenUp.NamedParameters().Tensors.Distinct(ReferenceEqualityComparer.Instance).Count() < givenUp.NamedParameters().Count;
        for (var step = 0; step < 4; step++)
        {
            var x = c.Input((ulong)step);
            var before = givenUp.NamedParameters().Tensors.Select(t => t.Storage).ToList();
            (kept, keptState) = optimizer.Step(kept, Gradients.ValueAndGrad(kept, x, Loss, Training).Gradient, keptState);
            (givenUp, givenUpState) = optimizer.Step(givenUp, Gradients.ValueAndGrad(givenUp, x, Loss, Training).Gradient, givenUpState, giveUp: true);
            if (Compare.ParametersBitwise(kept, givenUp) is { } difference)
                return false.Label($"{c}: parameters differ at step {step}: {difference}");
            var (a, b) = ((AdamState)keptState, (AdamState)givenUpState);
            if (!Same(a.FirstMoment, b.FirstMoment) || !Same(a.SecondMoment, b.SecondMoment) || (amsgrad && !Same(a.MaximumSecondMoment!, b.MaximumSecondMoment!)))
                return false.Label($"{c}: moments differ at step {step}");
            var reused = givenUp.NamedParameters().Tensors.Select(t => t.Storage).Zip(before, ReferenceEquals).All(same => same);
            if (step > 0 && !tied && !reused)
                return false.Label($"{c}: step {step} allocated new parameters instead of writing over the old");
        }
        return true.ToProperty();
    });

    /// <summary>Update-then-add equals the fused step bitwise for every optimizer, so the two ways to write a training step agree.</summary>
    [Property]
    public Property The_fused_step_equals_adding_the_updates(LayerCase c) => Prop.When(c.Defined, () =>
    {
        var model = c.Build();
        var g = Gradients.ValueAndGrad(model, c.Input(), Loss, Training).Gradient;
        var optimizers = new[] { Optimizers.Sgd(0.1), Optimizers.Sgd(0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01), Optimizers.Adam(0.01), Optimizers.AdamW(0.01), Optimizers.Chain(Optimizers.ClipByGlobalNorm(0.1), Optimizers.AdamW(0.01)) };
        return optimizers.All(o =>
        {
            var state = o.Init(model);
            var added = Gradients.ApplyUpdates(model, o.Update(g, state, model).Updates);
            return Compare.ParametersBitwise(added, o.Step(model, g, state).Model) is null;
        }).Label(c.ToString());
    });

    private static LossValue Loss(Tensor y) => Pipelines.Losses.Loss.MeanSquaredError(y, Tensor.Zeros(y.Shape, y.DType));

    private static bool Same(NamedTensors a, NamedTensors b) => a.StructureDifference(b) is null && a.Tensors.Zip(b.Tensors, (x, y) => x.BitwiseEquals(y)).All(ok => ok);
}
