using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Autodiff;

/// <summary>The one-call entry points of reverse-mode differentiation, and the update that applies a step.</summary>
public static class Gradients
{
    /// <summary>
    /// The loss of <paramref name="model"/> on <paramref name="input"/> and its gradient with respect to every parameter,
    /// as a value shaped like the model, plus the model as it is after the forward pass (updated running statistics).
    /// A parameter shared by several positions (the same tensor object, as in <c>l &gt;&gt; relu &gt;&gt; l</c>) gets at
    /// every position the sum of the gradients of all its uses.
    /// </summary>
    public static ValueAndGradient ValueAndGrad(Layer model, Tensor input, Func<Tensor, LossValue> loss, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        var traced = model.Forward(input, context);
        var value = loss(traced.Output);
        var (_, gradient) = model.Backward(traced.Trace, value.Gradient);
        return new ValueAndGradient(value.Value, SumShared(model, gradient), traced.Next);
    }

    /// <summary>The gradient with every group of positions that share one parameter tensor given the group's sum.</summary>
    public static Layer SumShared(Layer model, Layer gradient)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gradient);
        var groups = model.NamedParameters()
            .GroupBy(p => p.Value, ReferenceEqualityComparer.Instance)
            .Where(g => g.Count() > 1)
            .SelectMany(g => g.Select(p => (Name: p.Key, Group: g.Select(q => q.Key).ToList())))
            .ToDictionary(e => e.Name, e => e.Group, StringComparer.Ordinal);
        if (groups.Count == 0)
            return gradient;
        var gradients = gradient.NamedParameters().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return gradient.MapParameters((name, g) => groups.TryGetValue(name, out var group) ? group.Skip(1).Aggregate(gradients[group[0]], (sum, n) => sum + gradients[n]) : g);
    }

    /// <summary>
    /// The model plus the updates, parameter by parameter. An update of exactly zero leaves its element bitwise
    /// unchanged (even −0), so frozen parameters stay frozen whatever an optimizer does around them.
    /// </summary>
    /// <remarks>Positions that share a tensor and receive bitwise-equal updates keep sharing one result tensor.</remarks>
    public static TLayer ApplyUpdates<TLayer>(TLayer model, Layer updates)
        where TLayer : Layer
    {
        var results = new Dictionary<Tensor, List<(Tensor Update, Tensor Result)>>(ReferenceEqualityComparer.Instance);
        return (TLayer)Layer.Zip(model, updates, (_, p, u) =>
        {
            var seen = results.TryGetValue(p, out var list) ? list : results[p] = [];
            foreach (var (earlier, result) in seen)
            {
                if (earlier.BitwiseEquals(u))
                    return result;
            }
            var updated = Tensor.Map(p, u.To(p.DType), default(AddUnlessZero));
            seen.Add((u, updated));
            return updated;
        });
    }

    private readonly struct AddUnlessZero : IScalarFunction2
    {
        public double Invoke(double x, double y) => y == 0 ? x : x + y;
    }
}

/// <summary>A loss value, its gradient shaped like the model, and the model after the forward pass.</summary>
public sealed record ValueAndGradient(double Value, Layer Gradient, Layer Next);
