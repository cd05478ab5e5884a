using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adam's direction, like optax's <c>scale_by_adam</c> with PyTorch's arithmetic: m = β₁m + (1 − β₁)g,
    /// v = β₂v + (1 − β₂)g², output (m / (1 − β₁ᵗ)) / (√v̂ / √(1 − β₂ᵗ) + ε) with v̂ = v, or with AMSGrad the running maximum of v.
    /// </summary>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="amsgrad">Use the running maximum of v, like <c>amsgrad=True</c>.</param>
    /// <param name="momentum">β₁ per step instead of the constant (what <see cref="Schedules.OneCycleMomentum"/> gives); null for <paramref name="beta1"/>.</param>
    public static GradientTransformation ScaleByAdam(double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, bool amsgrad = false, Schedule? momentum = null)
    {
        CheckAdam(beta1, beta2, epsilon, 0);
        return AdamTransformation(new AdamSettings(Schedules.Constant(0), beta1, beta2, epsilon, amsgrad, momentum, 0, 0, null), AdamOutput.Direction);
    }

    /// <summary>
    /// Adam as <c>torch.optim.Adam</c>: the fused equal of <c>Chain(AddDecayedWeights(wd), ScaleByAdam(β₁, β₂, ε, amsgrad), ScaleByLearningRate(lr))</c>
    /// (weight decay is L2, added to the gradient, as PyTorch's Adam does), one pass per parameter.
    /// </summary>
    /// <param name="learningRate">The rate.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">L2 weight decay.</param>
    /// <param name="amsgrad">Use AMSGrad.</param>
    public static GradientTransformation Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, bool amsgrad = false) =>
        Adam(ConstantRate(learningRate), beta1, beta2, epsilon, weightDecay, amsgrad);

    /// <summary>Adam with a learning-rate schedule (and optionally a β₁ schedule, as PyTorch's one-cycle policy cycles momentum).</summary>
    /// <param name="learningRate">The rate as a function of the step.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">L2 weight decay.</param>
    /// <param name="amsgrad">Use AMSGrad.</param>
    /// <param name="momentum">β₁ per step, or null for the constant.</param>
    public static GradientTransformation Adam(Schedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, bool amsgrad = false, Schedule? momentum = null)
    {
        ArgumentNullException.ThrowIfNull(learningRate);
        CheckAdam(beta1, beta2, epsilon, weightDecay);
        return AdamTransformation(new AdamSettings(learningRate, beta1, beta2, epsilon, amsgrad, momentum, weightDecay, 0, null), AdamOutput.Update);
    }

    /// <summary>
    /// AdamW as <c>torch.optim.AdamW</c>: the fused equal of <c>Chain(ScaleByAdam(β₁, β₂, ε, amsgrad), AddDecayedWeights(wd, decayMask), ScaleByLearningRate(lr))</c>,
    /// the decay shrinking the parameters directly by lr·wd·p, one pass per parameter.
    /// </summary>
    /// <param name="learningRate">The rate.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">Decoupled weight decay.</param>
    /// <param name="amsgrad">Use AMSGrad.</param>
    /// <param name="decayMask">Which parameters decay, by name (e.g. not biases or norms); null for all.</param>
    public static GradientTransformation AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, Func<string, bool>? decayMask = null) =>
        AdamW(ConstantRate(learningRate), beta1, beta2, epsilon, weightDecay, amsgrad, decayMask);

    /// <summary>AdamW with a learning-rate schedule (and optionally a β₁ schedule).</summary>
    /// <param name="learningRate">The rate as a function of the step.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">Decoupled weight decay.</param>
    /// <param name="amsgrad">Use AMSGrad.</param>
    /// <param name="decayMask">Which parameters decay, by name; null for all.</param>
    /// <param name="momentum">β₁ per step, or null for the constant.</param>
    public static GradientTransformation AdamW(Schedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, Func<string, bool>? decayMask = null, Schedule? momentum = null)
    {
        ArgumentNullException.ThrowIfNull(learningRate);
        CheckAdam(beta1, beta2, epsilon, weightDecay);
        return AdamTransformation(new AdamSettings(learningRate, beta1, beta2, epsilon, amsgrad, momentum, 0, weightDecay, decayMask), AdamOutput.Update);
    }

    private static void CheckAdam(double beta1, double beta2, double epsilon, double weightDecay)
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1 || !(epsilon >= 0) || !(weightDecay >= 0))
            throw new ArgumentException($"Adam needs betas in [0, 1), epsilon >= 0 and weight decay >= 0; got beta1={beta1}, beta2={beta2}, eps={epsilon}, weight_decay={weightDecay}.");
    }

    /// <summary>
    /// One Adam step over every parameter through the fused kernel: the direction (<see cref="ScaleByAdam"/>), the
    /// update, or, in the fused step, the new parameters.
    /// </summary>
    private static GradientTransformation AdamTransformation(AdamSettings settings, AdamOutput output)
    {
        (NamedTensors Result, AdamState State) Run(NamedTensors gradients, OptimizerState state, NamedTensors parameters, AdamOutput mode, bool reuse)
        {
            var adam = Expect<AdamState>(state, "Adam");
            if ((adam.MaximumSecondMoment is not null) != settings.Amsgrad)
                throw new ArgumentException($"The Adam state was built {(settings.Amsgrad ? "without" : "with")} AMSGrad's running maximum but this optimizer {(settings.Amsgrad ? "uses" : "does not use")} AMSGrad.", nameof(state));
            adam.RequireFits(parameters);
            var step = adam.Step + 1;
            var beta1 = settings.Momentum?.Invoke(adam.Step) ?? settings.Beta1;
            var rate = RateAt(settings.LearningRate, adam.Step);
            var (first, second, maximum, results) = (new Dictionary<string, Tensor>(), new Dictionary<string, Tensor>(), new Dictionary<string, Tensor>(), new Dictionary<string, Tensor>());
            // Written over only when no parameter can fail midway (a non-float one throws in the kernel), so an error leaves nothing half-updated.
            reuse = reuse && mode == AdamOutput.Parameter && parameters.All(e => e.Value.DType.IsFloatingPoint()) && OwnsEveryArray(gradients, parameters, adam);
            foreach (var (name, p) in parameters)
            {
                var decays = settings.DecayMask?.Invoke(name) ?? true;
                var coefficients = new AdamCoefficients(
                    beta1,
                    settings.Beta2,
                    settings.Epsilon,
                    BiasCorrection1: 1 - Math.Pow(beta1, step),
                    SqrtBiasCorrection2: Math.Sqrt(1 - Math.Pow(settings.Beta2, step)),
                    settings.Amsgrad,
                    CoupledDecay: settings.CoupledDecay,
                    DecoupledDecay: decays ? settings.DecoupledDecay : 0,
                    rate);
                var (m, v, vmax, result) = reuse
                    ? AdamKernel.StepOver(gradients[name], adam.FirstMoment[name], adam.SecondMoment[name], adam.MaximumSecondMoment?[name], p, coefficients)
                    : AdamKernel.Step(gradients[name], adam.FirstMoment[name], adam.SecondMoment[name], adam.MaximumSecondMoment?[name], p, coefficients, mode);
                (first[name], second[name], results[name]) = (m, v, result);
                if (vmax is not null)
                    maximum[name] = vmax;
            }
            NamedTensors Collect(Dictionary<string, Tensor> tensors) => parameters.Map((name, _) => tensors[name]);
            return (Collect(results), new AdamState(step, Collect(first), Collect(second), settings.Amsgrad ? Collect(maximum) : null));
        }

        return new(
            parameters => AdamState.Zeros(parameters, settings.Amsgrad),
            (gradients, state, parameters) => Run(gradients, state, parameters, output, reuse: false),
            output == AdamOutput.Direction ? null : (gradients, state, parameters) => Run(gradients, state, parameters, AdamOutput.Parameter, reuse: false),
            output == AdamOutput.Direction ? null : (gradients, state, parameters) => Run(gradients, state, parameters, AdamOutput.Parameter, reuse: true))
        {
            LearningRate = output == AdamOutput.Direction ? null : settings.LearningRate,
        };
    }

    /// <summary>
    /// Whether the step may write over the parameters and moments: each is a whole array of its own, shared with no other
    /// parameter, moment or gradient (the first state's moments share one zero tensor; tied parameters share theirs).
    /// </summary>
    private static bool OwnsEveryArray(NamedTensors gradients, NamedTensors parameters, AdamState adam)
    {
        var seen = new HashSet<Array>(ReferenceEqualityComparer.Instance);
        var given = parameters.Concat(adam.FirstMoment).Concat(adam.SecondMoment).Concat(adam.MaximumSecondMoment ?? Enumerable.Empty<KeyValuePair<string, Tensor>>()).Select(e => e.Value);
        foreach (var tensor in given)
        {
            if (!tensor.IsWholeStorage || !seen.Add(tensor.Storage))
                return false;
        }
        return gradients.All(e => !seen.Contains(e.Value.Storage));
    }

    /// <summary>Everything one Adam transformation needs besides its state.</summary>
    private sealed record AdamSettings(Schedule LearningRate, double Beta1, double Beta2, double Epsilon, bool Amsgrad, Schedule? Momentum, double CoupledDecay, double DecoupledDecay, Func<string, bool>? DecayMask);
}
