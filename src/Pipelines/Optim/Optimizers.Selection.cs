using System.Collections.Immutable;
using Pipelines.Layers;

namespace Pipelines.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Applies <paramref name="inner"/> only to the parameters whose name <paramref name="select"/> accepts, like optax's
    /// <c>masked</c>: the inner transformation sees, and keeps state for, only those; the others' updates pass through
    /// unchanged. E.g. <c>Masked(name =&gt; !name.EndsWith("bias"), AddDecayedWeights(0.01))</c>. To freeze parameters,
    /// use <see cref="Freeze"/>.
    /// </summary>
    /// <param name="select">Which parameters the inner transformation applies to, by name.</param>
    /// <param name="inner">The transformation.</param>
    public static GradientTransformation Masked(Func<string, bool> select, GradientTransformation inner)
    {
        ArgumentNullException.ThrowIfNull(select);
        ArgumentNullException.ThrowIfNull(inner);
        return new(
            parameters => inner.Init(parameters.Where(select)),
            (gradients, state, parameters) =>
            {
                var (updates, next) = inner.Update(gradients.Where(select), state, parameters.Where(select));
                return (gradients.With(updates), next);
            },
            (gradients, state, parameters) =>
            {
                var (selected, next) = inner.Apply(gradients.Where(select), state, parameters.Where(select));
                var others = GradientTransformation.AddUpdates(parameters.Where(n => !select(n)), gradients.Where(n => !select(n)));
                return (parameters.With(selected).With(others), next);
            });
    }

    /// <summary>
    /// Gives each group of parameters its own transformation, like optax's <c>multi_transform</c> and PyTorch's parameter
    /// groups: <paramref name="label"/> names each parameter's group, and each group's transformation sees, and keeps
    /// state for, only its own parameters. Every label must be one of the groups.
    /// </summary>
    /// <param name="label">The group of each parameter, by name.</param>
    /// <param name="groups">The transformation of each group, by label.</param>
    public static GradientTransformation MultiTransform(Func<string, string> label, params IEnumerable<(string Label, GradientTransformation Transformation)> groups)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(groups);
        var all = groups.ToImmutableArray();
        var duplicate = all.GroupBy(g => g.Label, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null || all.Any(g => g.Transformation is null))
            throw new ArgumentException($"Groups need distinct labels and non-null transformations{(duplicate is null ? string.Empty : $"; '{duplicate.Key}' is given twice")}.", nameof(groups));
        Func<string, bool> In(string group) => name => label(name) == group;
        void CheckLabels(NamedTensors parameters)
        {
            var unknown = parameters.Names.FirstOrDefault(n => all.All(g => g.Label != label(n)));
            if (unknown is not null)
                throw new ArgumentException($"Parameter '{unknown}' is labelled '{label(unknown)}', which is none of the groups ({string.Join(", ", all.Select(g => g.Label))}).", nameof(label));
        }

        GroupState Expected(OptimizerState state)
        {
            var groupState = Expect<GroupState>(state, "multi-transform");
            return groupState.Groups.Select(g => g.Label).SequenceEqual(all.Select(g => g.Label))
                ? groupState
                : throw new ArgumentException($"The state has groups {string.Join(", ", groupState.Groups.Select(g => g.Label))} but this transformation has {string.Join(", ", all.Select(g => g.Label))}.", nameof(state));
        }

        return new(
            parameters =>
            {
                CheckLabels(parameters);
                return new GroupState([.. all.Select(g => (g.Label, g.Transformation.Init(parameters.Where(In(g.Label)))))]);
            },
            (gradients, state, parameters) =>
            {
                CheckLabels(parameters);
                var states = Expected(state);
                var result = gradients;
                var next = ImmutableArray.CreateBuilder<(string, OptimizerState)>(all.Length);
                foreach (var (group, transformation) in all)
                {
                    var (updates, s) = transformation.Update(gradients.Where(In(group)), states[group], parameters.Where(In(group)));
                    result = result.With(updates);
                    next.Add((group, s));
                }
                return (result, new GroupState(next.MoveToImmutable()));
            },
            (gradients, state, parameters) =>
            {
                CheckLabels(parameters);
                var states = Expected(state);
                var result = parameters;
                var next = ImmutableArray.CreateBuilder<(string, OptimizerState)>(all.Length);
                foreach (var (group, transformation) in all)
                {
                    var (updated, s) = transformation.Apply(gradients.Where(In(group)), states[group], parameters.Where(In(group)));
                    result = result.With(updated);
                    next.Add((group, s));
                }
                return (result, new GroupState(next.MoveToImmutable()));
            });
    }

    /// <summary>
    /// Trains every parameter with <paramref name="trainable"/> except those <paramref name="frozen"/> accepts, which get
    /// no state and no update and so stay bitwise unchanged: <c>MultiTransform</c> with groups <c>trainable</c> and <c>frozen</c>.
    /// </summary>
    /// <param name="frozen">Which parameters are frozen, by name.</param>
    /// <param name="trainable">The transformation of the others.</param>
    public static GradientTransformation Freeze(Func<string, bool> frozen, GradientTransformation trainable)
    {
        ArgumentNullException.ThrowIfNull(frozen);
        return MultiTransform(name => frozen(name) ? "frozen" : "trainable", ("trainable", trainable), ("frozen", SetToZero));
    }
}
