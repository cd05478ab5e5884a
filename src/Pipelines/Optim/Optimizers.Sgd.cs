using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Stochastic gradient descent as <c>torch.optim.SGD</c>: g + wd·p (<see cref="AddDecayedWeights"/>), then
    /// <see cref="Momentum"/> when μ &gt; 0, then −lr (<see cref="ScaleByLearningRate(Schedule)"/>), whose fused step writes the new parameters in one pass.
    /// </summary>
    /// <param name="learningRate">The rate.</param>
    /// <param name="momentum">μ; 0 for none.</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and no dampening).</param>
    /// <param name="weightDecay">L2 weight decay.</param>
    /// <param name="dampening">Dampening of the momentum.</param>
    public static GradientTransformation Sgd(double learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0, double dampening = 0) =>
        Sgd(ConstantRate(learningRate), momentum, nesterov, weightDecay, dampening);

    /// <inheritdoc cref="Sgd(double, double, bool, double, double)"/>
    /// <param name="learningRate">The rate as a function of the step.</param>
    /// <param name="momentum">μ; 0 for none.</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and no dampening).</param>
    /// <param name="weightDecay">L2 weight decay.</param>
    /// <param name="dampening">Dampening of the momentum.</param>
    public static GradientTransformation Sgd(Schedule learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0, double dampening = 0)
    {
        ArgumentNullException.ThrowIfNull(learningRate);
        if (momentum < 0 || weightDecay < 0 || (nesterov && (momentum <= 0 || dampening != 0)))
            throw new ArgumentException($"SGD needs momentum >= 0 and weight decay >= 0, and Nesterov needs momentum > 0 and no dampening; got momentum={momentum}, nesterov={nesterov}, weight_decay={weightDecay}, dampening={dampening}.");
        var parts = new List<GradientTransformation>();
        if (weightDecay != 0)
            parts.Add(AddDecayedWeights(weightDecay));
        if (momentum != 0)
            parts.Add(Momentum(momentum, nesterov, dampening));
        parts.Add(ScaleByLearningRate(learningRate));
        return Chain(parts);
    }

    /// <summary>
    /// SGD's momentum, as PyTorch computes it: the buffer is the gradient on the first step and μ·b + (1 − dampening)·g
    /// after; the output is g + μ·b with Nesterov, else b. Like optax's <c>trace</c>, with PyTorch's first step.
    /// </summary>
    /// <param name="momentum">μ.</param>
    /// <param name="nesterov">Whether to look ahead.</param>
    /// <param name="dampening">Dampening of the gradient's contribution.</param>
    public static GradientTransformation Momentum(double momentum, bool nesterov = false, double dampening = 0) => new(
        parameters => new MomentumState(parameters.Map(static (_, p) => Tensor.Zeros(p.Shape, p.DType)), Initialized: false),
        (gradients, state, parameters) =>
        {
            var momentumState = Expect<MomentumState>(state, "SGD momentum");
            OptimizerState.RequireFits("SGD momentum", momentumState.Velocity, parameters);
            var next = momentumState.Initialized
                ? NamedTensors.Zip(momentumState.Velocity, gradients, (_, b, g) => (b * momentum) + (dampening == 0 ? g : g * (1 - dampening)))
                : gradients;
            var direction = nesterov ? NamedTensors.Zip(gradients, next, (_, g, b) => g + (b * momentum)) : next;
            return (direction, new MomentumState(next, Initialized: true));
        });
}
