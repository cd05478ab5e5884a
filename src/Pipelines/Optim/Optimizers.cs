using System.Collections.Immutable;
using Pipelines.Layers;

namespace Pipelines.Optim;

/// <summary>
/// The optimizers and gradient transformations, with PyTorch's update formulas, built in optax's way from small
/// transformations that compose with <see cref="Chain"/>. Each optimizer returns updates to add (−rate·direction),
/// so adding them performs exactly PyTorch's in-place step.
/// </summary>
public static partial class Optimizers
{
    /// <summary>Passes gradients through unchanged: the unit of <see cref="Chain"/>.</summary>
    public static GradientTransformation Identity { get; } = new(_ => EmptyState.Instance, (g, s, _) => (g, s));

    /// <summary>
    /// Applies transformations one after another, each to the previous one's output, like <c>optax.chain</c>; the
    /// last one's fused step (if it has one) produces the new parameters.
    /// </summary>
    /// <param name="transformations">The transformations, first applied first.</param>
    public static GradientTransformation Chain(params IEnumerable<GradientTransformation> transformations)
    {
        ArgumentNullException.ThrowIfNull(transformations);
        var steps = transformations.ToImmutableArray();
        if (steps.Any(t => t is null))
            throw new ArgumentException("A chain cannot hold a null transformation.", nameof(transformations));
        return new(
            parameters => new ChainState([.. steps.Select(t => t.Init(parameters))]),
            (gradients, state, parameters) =>
            {
                var states = ChainStates(state, steps.Length);
                var next = ImmutableArray.CreateBuilder<OptimizerState>(steps.Length);
                for (var i = 0; i < steps.Length; i++)
                {
                    (gradients, var s) = steps[i].Update(gradients, states[i], parameters);
                    next.Add(s);
                }
                return (gradients, new ChainState(next.MoveToImmutable()));
            },
            (gradients, state, parameters) => ApplyChain(steps, gradients, state, parameters, over: false),
            (gradients, state, parameters) => ApplyChain(steps, gradients, state, parameters, over: true))
        {
            LearningRate = steps.LastOrDefault(t => t.LearningRate is not null)?.LearningRate,
        };
    }

    /// <summary>
    /// The chain's fused step: every transformation's update but the last, then the last one's fused step, written over
    /// the given parameters and the last one's state when <paramref name="over"/> is set and it can (the earlier states
    /// are only read: their updates are pure).
    /// </summary>
    private static (NamedTensors Parameters, OptimizerState State) ApplyChain(ImmutableArray<GradientTransformation> steps, NamedTensors gradients, OptimizerState state, NamedTensors parameters, bool over)
    {
        if (steps.IsEmpty)
            return (GradientTransformation.AddUpdates(parameters, gradients), state);
        var states = ChainStates(state, steps.Length);
        var next = ImmutableArray.CreateBuilder<OptimizerState>(steps.Length);
        for (var i = 0; i < steps.Length - 1; i++)
        {
            (gradients, var s) = steps[i].Update(gradients, states[i], parameters);
            next.Add(s);
        }
        var (updated, last) = over ? steps[^1].ApplyOver(gradients, states[^1], parameters) : steps[^1].Apply(gradients, states[^1], parameters);
        next.Add(last);
        return (updated, new ChainState(next.MoveToImmutable()));
    }

    private static ImmutableArray<OptimizerState> ChainStates(OptimizerState state, int count)
    {
        var states = Expect<ChainState>(state, "Chain").States;
        return states.Length == count
            ? states
            : throw new ArgumentException($"The chain has {count} transformations but its state has {states.Length}; build the state with this chain's Init.", nameof(state));
    }

    private static TState Expect<TState>(OptimizerState state, string optimizer)
        where TState : OptimizerState => state as TState
        ?? throw new ArgumentException($"The {optimizer} update needs the {typeof(TState).Name} its Init made but was given {state?.GetType().Name ?? "null"}.", nameof(state));
}
