using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.Optim;

/// <summary>
/// Optimizer state as named tensors, so it can be checkpointed with safetensors beside the model and restored:
/// <c>0.step</c>, <c>1.exp_avg.0.weight</c>, <c>1.momentum_buffer.2.bias</c> (chain position or group label, then the
/// state's own names). Every state type either saves or refuses by name; restoring checks every entry.
/// </summary>
public static class OptimizerStates
{
    /// <summary>The state's tensors by name.</summary>
    /// <param name="state">The state to save.</param>
    public static ImmutableSortedDictionary<string, Tensor> ToTensors(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var writer = new StateWriter();
        state.Save(writer);
        var duplicate = writer.Entries.GroupBy(e => e.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"The optimizer state writes '{duplicate.Key}' twice.");
        return writer.Entries.ToImmutableSortedDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// The state saved by <see cref="ToTensors"/>, rebuilt in the shape of <paramref name="template"/> (what the same
    /// optimizer's Init gives for the same model). Every expected tensor must be present with the template's shape and
    /// dtype, and every saved tensor must be used.
    /// </summary>
    /// <param name="template">The state Init gives for the model; it supplies names, shapes and dtypes.</param>
    /// <param name="tensors">The saved tensors.</param>
    public static OptimizerState Restore(OptimizerState template, IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tensors);
        var reader = new StateReader(tensors);
        var state = template.Load(reader);
        var unused = tensors.Keys.Where(k => !reader.Used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        return unused.Count == 0
            ? state
            : throw new ArgumentException($"The saved optimizer state has entries this optimizer does not use: {string.Join(", ", unused)}.", nameof(tensors));
    }
}
