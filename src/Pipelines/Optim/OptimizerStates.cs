using System.Collections.Immutable;
using System.Globalization;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

/// <summary>
/// Optimizer state as named tensors, so it can be checkpointed with safetensors beside the model and restored:
/// <c>0.step</c>, <c>1.exp_avg.0.weight</c>, <c>1.momentum_buffer.2.bias</c> (chain position, then PyTorch's state names).
/// </summary>
public static class OptimizerStates
{
    /// <summary>The state's tensors by name.</summary>
    public static ImmutableSortedDictionary<string, Tensor> ToTensors(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var entries = new List<KeyValuePair<string, Tensor>>();
        Walk(state, string.Empty, entries);
        return entries.ToImmutableSortedDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// The state saved by <see cref="ToTensors"/>, rebuilt in the shape of <paramref name="template"/> (what the same
    /// optimizer's Init gives for <paramref name="model"/>). Every expected tensor must be present with the model's
    /// shapes, and every saved tensor must be used.
    /// </summary>
    public static OptimizerState Restore(OptimizerState template, IReadOnlyDictionary<string, Tensor> tensors, Layer model)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(model);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var state = Rebuild(template, string.Empty, new Source(tensors, used, model));
        var unused = tensors.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        return unused.Count == 0
            ? state
            : throw new ArgumentException($"The saved optimizer state has entries this optimizer does not use: {string.Join(", ", unused)}.", nameof(tensors));
    }

    private static void Walk(OptimizerState state, string prefix, List<KeyValuePair<string, Tensor>> entries)
    {
        switch (state)
        {
            case ChainState chain:
                for (var i = 0; i < chain.States.Length; i++)
                    Walk(chain.States[i], Join(prefix, i.ToString(CultureInfo.InvariantCulture)), entries);
                break;
            case StepState step:
                entries.Add(new(Join(prefix, "step"), Tensor.Scalar(step.Step, DType.Float64)));
                break;
            case AdamState adam:
                entries.Add(new(Join(prefix, "step"), Tensor.Scalar(adam.Step, DType.Float64)));
                entries.AddRange(adam.FirstMoment.NamedParameters().Select(p => KeyValuePair.Create(Join(prefix, "exp_avg." + p.Key), p.Value)));
                entries.AddRange(adam.SecondMoment.NamedParameters().Select(p => KeyValuePair.Create(Join(prefix, "exp_avg_sq." + p.Key), p.Value)));
                break;
            case MomentumState { Velocity: { } velocity }:
                entries.AddRange(velocity.NamedParameters().Select(p => KeyValuePair.Create(Join(prefix, "momentum_buffer." + p.Key), p.Value)));
                break;
        }
    }

    private static OptimizerState Rebuild(OptimizerState template, string prefix, Source source) => template switch
    {
        ChainState chain => new ChainState([.. chain.States.Select((s, i) => Rebuild(s, Join(prefix, i.ToString(CultureInfo.InvariantCulture)), source))]),
        StepState => new StepState(source.Step(prefix)),
        AdamState => new AdamState(source.Step(prefix), source.Load(Join(prefix, "exp_avg.")), source.Load(Join(prefix, "exp_avg_sq."))),
        MomentumState => new MomentumState(source.Has(Join(prefix, "momentum_buffer.")) ? source.Load(Join(prefix, "momentum_buffer.")) : null),
        _ => template,
    };

    /// <summary>The saved tensors being read, the names read so far, and the model whose shapes they must have.</summary>
    private sealed record Source(IReadOnlyDictionary<string, Tensor> Tensors, HashSet<string> Used, Layer Model)
    {
        public bool Has(string prefix) => Tensors.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));

        public int Step(string prefix) => (int)Take(Join(prefix, "step"), Shape.Scalar).Item();

        public Layer Load(string prefix) => Model.MapParameters((name, p) => Take(prefix + name, p.Shape).To(p.DType));

        private Tensor Take(string key, Shape shape)
        {
            if (!Tensors.TryGetValue(key, out var t))
                throw new ArgumentException($"The saved optimizer state has no '{key}'.", nameof(key));
            if (t.Shape != shape)
                throw new ArgumentException($"Saved '{key}' is {t.Shape} but the optimizer expects {shape}.", nameof(key));
            Used.Add(key);
            return t;
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}
