using System.Collections.Immutable;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

/// <summary>
/// The optimizers and gradient transformations, with PyTorch's update formulas. Each returns updates to add
/// (−rate·direction), so <c>ApplyUpdates(p, updates)</c> performs exactly PyTorch's in-place step.
/// </summary>
public static class Optimizers
{
    /// <summary>Passes gradients through unchanged: the unit of <see cref="Chain"/>.</summary>
    public static GradientTransformation Identity { get; } = new(_ => EmptyState.Instance, (g, s, _) => (g, s));

    /// <summary>Applies transformations one after another, each to the previous one's output, like <c>optax.chain</c>.</summary>
    public static GradientTransformation Chain(params IEnumerable<GradientTransformation> transformations)
    {
        var steps = transformations.ToImmutableArray();
        return new(
            model => new ChainState([.. steps.Select(t => t.Init(model))]),
            (gradients, state, parameters) =>
            {
                var states = Expect<ChainState>(state, "Chain").States;
                var next = ImmutableArray.CreateBuilder<OptimizerState>(steps.Length);
                for (var i = 0; i < steps.Length; i++)
                {
                    (gradients, var s) = steps[i].Update(gradients, states[i], parameters);
                    next.Add(s);
                }
                return (gradients, new ChainState(next.MoveToImmutable()));
            });
    }

    /// <summary>
    /// Stochastic gradient descent as <c>torch.optim.SGD</c>: g += wd·p; with momentum, b = g on the first step and
    /// b = μ·b + (1 − dampening)·g after; the direction is g + μ·b with Nesterov, else b; the update is −lr·direction.
    /// </summary>
    public static GradientTransformation Sgd(double learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0, double dampening = 0) =>
        Sgd(Schedules.Constant(learningRate), momentum, nesterov, weightDecay, dampening);

    /// <inheritdoc cref="Sgd(double, double, bool, double, double)"/>
    public static GradientTransformation Sgd(Schedule learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0, double dampening = 0)
    {
        ArgumentNullException.ThrowIfNull(learningRate);
        if (momentum < 0 || weightDecay < 0 || (nesterov && (momentum <= 0 || dampening != 0)))
            throw new ArgumentException($"SGD needs momentum >= 0 and weight decay >= 0, and Nesterov needs momentum > 0 and no dampening; got momentum={momentum}, nesterov={nesterov}, weight_decay={weightDecay}, dampening={dampening}.");
        return Chain(
            Sgd(momentum, nesterov, weightDecay, dampening),
            ScaleByLearningRate(learningRate));
    }

    /// <summary>
    /// Adam as <c>torch.optim.Adam</c>: m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g², update −(lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε);
    /// a weight decay is added to the gradient (L2), as PyTorch's Adam does.
    /// </summary>
    public static GradientTransformation Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0) =>
        Adam(Schedules.Constant(learningRate), beta1, beta2, epsilon, weightDecay, decoupled: false);

    /// <summary>AdamW as <c>torch.optim.AdamW</c>: Adam whose weight decay shrinks the parameters directly by lr·wd·p.</summary>
    public static GradientTransformation AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 1e-2) =>
        Adam(Schedules.Constant(learningRate), beta1, beta2, epsilon, weightDecay, decoupled: true);

    /// <summary>Adam or AdamW with a learning-rate schedule.</summary>
    public static GradientTransformation Adam(Schedule learningRate, double beta1, double beta2, double epsilon, double weightDecay, bool decoupled)
    {
        ArgumentNullException.ThrowIfNull(learningRate);
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1 || epsilon < 0 || weightDecay < 0)
            throw new ArgumentException($"Adam needs betas in [0, 1), epsilon >= 0 and weight decay >= 0; got beta1={beta1}, beta2={beta2}, eps={epsilon}, weight_decay={weightDecay}.");
        return new(
            model => new AdamState(0, model.ZerosLike(), model.ZerosLike()),
            (gradients, state, parameters) =>
            {
                var adam = Expect<AdamState>(state, "Adam");
                var step = adam.Step + 1;
                var rate = learningRate(adam.Step);
                var coefficients = new AdamCoefficients(
                    beta1,
                    beta2,
                    StepSize: rate / (1 - Math.Pow(beta1, step)),
                    Correction: Math.Sqrt(1 - Math.Pow(beta2, step)),
                    epsilon,
                    CoupledDecay: decoupled ? 0 : weightDecay,
                    DecoupledDecay: decoupled ? rate * weightDecay : 0);
                var (g, m1, m2) = (Named(gradients), Named(adam.FirstMoment), Named(adam.SecondMoment));
                var (nextFirst, nextSecond) = (new Dictionary<string, Tensor>(StringComparer.Ordinal), new Dictionary<string, Tensor>(StringComparer.Ordinal));
                var updates = parameters.MapParameters((name, p) =>
                {
                    if (!g.TryGetValue(name, out var gradient) || gradient.Shape != p.Shape)
                        throw new ArgumentException($"Adam was given no gradient shaped {p.Shape} for parameter '{name}'; gradients must have the model's structure.", nameof(gradients));
                    var (m, v, u) = AdamKernel.Step(gradient.To(p.DType), m1[name], m2[name], p, coefficients);
                    (nextFirst[name], nextSecond[name]) = (m, v);
                    return u;
                });
                var m = adam.FirstMoment.MapParameters((name, _) => nextFirst[name]);
                var v = adam.SecondMoment.MapParameters((name, _) => nextSecond[name]);
                return (updates, new AdamState(step, m, v));
            });
    }

    /// <summary>
    /// Scales gradients so their global norm is at most <paramref name="maxNorm"/>, as <c>clip_grad_norm_</c>
    /// (by max_norm / (norm + 1e-6), never above 1).
    /// </summary>
    public static GradientTransformation ClipByGlobalNorm(double maxNorm) => new(
        _ => EmptyState.Instance,
        (gradients, state, _) => (Clip.GradNorm(gradients, maxNorm).Clipped, state));

    /// <summary>Clamps every gradient element to [−clip, clip], as <c>clip_grad_value_</c>.</summary>
    public static GradientTransformation ClipByValue(double clip) => new(
        _ => EmptyState.Instance,
        (gradients, state, _) => (Clip.GradValue(gradients, clip), state));

    /// <summary>
    /// Applies <paramref name="inner"/> only to parameters whose name satisfies <paramref name="select"/>; the others get
    /// a zero update, which leaves them bitwise unchanged (freezing, or no weight decay on biases).
    /// </summary>
    public static GradientTransformation Masked(Func<string, bool> select, GradientTransformation inner)
    {
        ArgumentNullException.ThrowIfNull(select);
        ArgumentNullException.ThrowIfNull(inner);
        return new(inner.Init, (gradients, state, parameters) =>
        {
            var (updates, next) = inner.Update(gradients, state, parameters);
            return (updates.MapParameters((name, u) => select(name) ? u : Tensor.Zeros(u.Shape, u.DType)), next);
        });
    }

    /// <summary>Adds wd·p to the gradient (L2 regularisation), usually masked to weights only.</summary>
    public static GradientTransformation AddDecayedWeights(double weightDecay) => new(
        _ => EmptyState.Instance,
        (gradients, state, parameters) => (weightDecay == 0 ? gradients : Layer.Zip(gradients, parameters, (_, g, p) => g + (p * weightDecay)), state));

    /// <summary>Multiplies by −rate(step): the last transformation of a plain optimizer.</summary>
    public static GradientTransformation ScaleByLearningRate(Schedule learningRate) => new(
        _ => new StepState(0),
        (gradients, state, _) =>
        {
            var step = Expect<StepState>(state, "learning-rate schedule").Step;
            return (-learningRate(step) * gradients, new StepState(step + 1));
        });

    private static GradientTransformation Sgd(double momentum, bool nesterov, double weightDecay, double dampening) => new(
        _ => new MomentumState(null),
        (gradients, state, parameters) =>
        {
            var velocity = Expect<MomentumState>(state, "SGD").Velocity;
            if (weightDecay != 0)
                gradients = Layer.Zip(gradients, parameters, (_, g, p) => g + (p * weightDecay));
            if (momentum == 0)
                return (gradients, state);
            var next = velocity is null ? gradients : Layer.Zip(velocity, gradients, (_, b, g) => (b * momentum) + (g * (1 - dampening)));
            var direction = nesterov ? Layer.Zip(gradients, next, (_, g, b) => g + (b * momentum)) : next;
            return (direction, new MomentumState(next));
        });

    private static Dictionary<string, Tensor> Named(Layer layer) => layer.NamedParameters().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static TState Expect<TState>(OptimizerState state, string optimizer)
        where TState : OptimizerState => state as TState
        ?? throw new ArgumentException($"The {optimizer} update needs the {typeof(TState).Name} its Init made but was given {state?.GetType().Name ?? "null"}.", nameof(state));
}
