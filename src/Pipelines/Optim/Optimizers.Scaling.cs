using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

public static partial class Optimizers
{
    /// <summary>Zero updates and no state: what <see cref="Freeze"/> gives frozen parameters, which therefore stay bitwise unchanged.</summary>
    public static GradientTransformation SetToZero { get; } = new(
        _ => EmptyState.Instance,
        (gradients, state, _) => (gradients.Map(static (_, g) => Tensor.Zeros(g.Shape, g.DType)), state),
        (_, state, parameters) => (parameters, state));

    /// <summary>Multiplies by −rate(step), like optax's <c>scale_by_learning_rate</c>: the last transformation of a plain optimizer. Its fused step adds in the same pass.</summary>
    /// <param name="learningRate">The rate as a function of the step (0 for the first update).</param>
    public static GradientTransformation ScaleByLearningRate(Schedule learningRate)
    {
        ArgumentNullException.ThrowIfNull(learningRate);
        return new(
            _ => new StepState(0),
            (gradients, state, _) =>
            {
                var step = Expect<StepState>(state, "learning-rate").Step;
                var rate = RateAt(learningRate, step);
                return (gradients.Map((_, g) => g * -rate), new StepState(step + 1));
            },
            (gradients, state, parameters) =>
            {
                var step = Expect<StepState>(state, "learning-rate").Step;
                var rate = RateAt(learningRate, step);
                return (NamedTensors.Zip(parameters, gradients, (_, p, g) => p.DType == DType.Float32
                    ? Elementwise.Map<AddScaledUnlessZero<float>, float>(p, g, new((float)-rate))
                    : Elementwise.Map<AddScaledUnlessZero<double>, double>(p, g, new(-rate))), new StepState(step + 1));
            })
        {
            LearningRate = learningRate,
        };
    }

    /// <summary>Multiplies by a constant −rate.</summary>
    /// <param name="learningRate">The rate.</param>
    public static GradientTransformation ScaleByLearningRate(double learningRate) => ScaleByLearningRate(ConstantRate(learningRate));

    /// <summary>A constant rate's schedule, or an error: a negative rate would train uphill (PyTorch refuses it too).</summary>
    private static Schedule ConstantRate(double learningRate) => learningRate >= 0 && double.IsFinite(learningRate)
        ? Schedules.Constant(learningRate)
        : throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, $"The learning rate must be finite and >= 0 but is {learningRate}.");

    /// <summary>The schedule's rate at <paramref name="step"/>, or an error naming the step where a schedule gives a negative or non-finite one.</summary>
    private static double RateAt(Schedule learningRate, long step)
    {
        var rate = learningRate(step);
        return rate >= 0 && double.IsFinite(rate)
            ? rate
            : throw new InvalidOperationException($"The learning-rate schedule gives {rate} at step {step}; a rate must be finite and >= 0.");
    }

    /// <summary>
    /// Adds λ·p to each update (L2 regularisation when placed before the moments, decoupled decay when placed after),
    /// like optax's <c>add_decayed_weights</c>; with <paramref name="mask"/>, only to the parameters it accepts
    /// (e.g. no decay on biases and norms), the others passing through unchanged.
    /// </summary>
    /// <param name="weightDecay">λ.</param>
    /// <param name="mask">Which parameters decay, by name; null for all.</param>
    public static GradientTransformation AddDecayedWeights(double weightDecay, Func<string, bool>? mask = null)
    {
        if (!(weightDecay >= 0))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be >= 0.");
        var decay = new GradientTransformation(
            _ => EmptyState.Instance,
            (gradients, state, parameters) => (weightDecay == 0 ? gradients : NamedTensors.Zip(gradients, parameters, (_, g, p) => g + (p * weightDecay)), state));
        return mask is null ? decay : Masked(mask, decay);
    }
}
