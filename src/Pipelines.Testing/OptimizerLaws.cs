using FsCheck;
using FsCheck.Fluent;
using Pipelines.Layers;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Testing;

/// <summary>The laws a gradient transformation keeps, as FsCheck properties for any transformation, a user's own included.</summary>
public static class OptimizerLaws
{
    /// <summary>Chaining the identity before or after the transformation changes no update, bitwise, over three steps.</summary>
    /// <param name="transformation">The transformation.</param>
    /// <param name="model">A model whose parameters it updates.</param>
    public static Property IdentityIsNeutral(GradientTransformation transformation, Layer model)
    {
        ArgumentNullException.ThrowIfNull(transformation);
        ArgumentNullException.ThrowIfNull(model);
        return Prop.ForAll(Generate.Key.ToArbitrary(), key =>
        {
            var alone = Updates(transformation, model, key);
            foreach (var (name, chained) in new[] { ("Chain(Identity, t)", Optimizers.Chain(Optimizers.Identity, transformation)), ("Chain(t, Identity)", Optimizers.Chain(transformation, Optimizers.Identity)) })
            {
                var updates = Updates(chained, model, key);
                for (var step = 0; step < alone.Count; step++)
                {
                    if (LayerLaws.Difference(alone[step], updates[step]) is { } difference)
                        return false.Label($"{nameof(IdentityIsNeutral)}: {name} differs from t at step {step + 1} with gradients from {key}: {difference}");
                }
            }
            return true.Label(nameof(IdentityIsNeutral));
        });
    }

    /// <summary>Parameters frozen around the transformation (every other one) stay bitwise unchanged through three steps.</summary>
    /// <param name="transformation">The transformation.</param>
    /// <param name="model">A model whose parameters it updates.</param>
    public static Property FrozenParametersStayFrozen(GradientTransformation transformation, Layer model)
    {
        ArgumentNullException.ThrowIfNull(transformation);
        ArgumentNullException.ThrowIfNull(model);
        var frozen = model.NamedParameters().Names.Where((_, i) => i % 2 == 0).ToHashSet(StringComparer.Ordinal);
        return Prop.ForAll(Generate.Key.ToArbitrary(), key =>
        {
            var optimizer = Optimizers.Freeze(frozen.Contains, transformation);
            var (current, state) = (model, optimizer.Init(model));
            for (var step = 0; step < 3; step++)
                (current, state) = optimizer.Step(current, Gradient(model, key.Fold((ulong)step)), state);
            var before = model.NamedParameters();
            var moved = current.NamedParameters().Where(p => frozen.Contains(p.Key) && !p.Value.BitwiseEquals(before[p.Key])).Select(p => p.Key).ToList();
            return (moved.Count == 0).Label($"{nameof(FrozenParametersStayFrozen)}: frozen parameters changed: {string.Join(", ", moved)} (gradients from {key})");
        });
    }

    private static List<NamedTensors> Updates(GradientTransformation transformation, Layer model, Key key)
    {
        var parameters = model.NamedParameters();
        var state = transformation.Init(parameters);
        var all = new List<NamedTensors>();
        for (var step = 0; step < 3; step++)
        {
            (var updates, state) = transformation.Update(Gradient(model, key.Fold((ulong)step)).NamedParameters(), state, parameters);
            all.Add(updates);
        }
        return all;
    }

    /// <summary>A random gradient for the model: parameter i's from the key folded with i.</summary>
    private static Layer Gradient(Layer model, Key key)
    {
        var names = model.NamedParameters().Names.ToList();
        return model.MapParameters((name, p) => Tensor.Normal(key.Fold((ulong)names.IndexOf(name)), p.Shape, dtype: p.DType));
    }
}
