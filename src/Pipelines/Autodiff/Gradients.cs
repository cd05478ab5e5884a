using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Autodiff;

/// <summary>The one-call entry point of reverse-mode differentiation, and the update that applies a step.</summary>
public static class Gradients
{
    /// <summary>
    /// The loss of <paramref name="model"/> on <paramref name="input"/>, its gradient with respect to every parameter as a
    /// value of the model's type, and the model as it is after the forward pass (updated running statistics). The model's
    /// input needs no gradient, so the first layer's input gradient is never computed. A parameter shared by several
    /// positions (the same tensor object, as in <c>l &gt;&gt; relu &gt;&gt; l</c>) gets at every position the sum of the
    /// gradients of all its uses.
    /// </summary>
    /// <typeparam name="TModel">The model's type.</typeparam>
    /// <param name="model">The model.</param>
    /// <param name="input">A batch of inputs.</param>
    /// <param name="loss">The loss of the model's output, with its gradient.</param>
    /// <param name="context">Mode and key of the forward pass (training, usually).</param>
    public static ValueAndGradient<TModel> ValueAndGrad<TModel>(TModel model, Tensor input, Func<Tensor, LossValue> loss, ForwardContext context)
        where TModel : Layer
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(context);
        var traced = model.Forward(input, context);
        var value = loss(traced.Output) ?? throw new InvalidOperationException("The loss function returned null.");
        if (value.Gradient.Shape != traced.Output.Shape || value.Gradient.DType != traced.Output.DType)
            throw new ArgumentException($"The loss's gradient is {value.Gradient.Shape} ({value.Gradient.DType.Name()}) but the model's output is {traced.Output.Shape} ({traced.Output.DType.Name()}); a loss returns the gradient with respect to the output.", nameof(loss));
        var (_, gradient) = model.Backward(traced.Trace, value.Gradient, inputGradient: false);
        return new ValueAndGradient<TModel>(value.Value, (TModel)SumShared(model, gradient), (TModel)traced.Next, traced.Output);
    }

    /// <summary>The gradient with every group of positions that share one parameter tensor given the group's sum.</summary>
    /// <param name="model">The model the gradient belongs to, whose shared tensors define the groups.</param>
    /// <param name="gradient">The gradient, one value per position.</param>
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
        var gradients = gradient.NamedParameters();
        return gradient.MapParameters((name, g) => groups.TryGetValue(name, out var group) ? group.Skip(1).Aggregate(gradients[group[0]], (sum, n) => sum + gradients[n]) : g);
    }

    /// <summary>
    /// The model plus the updates, parameter by parameter. An update of exactly zero leaves its element bitwise
    /// unchanged (even −0), so frozen parameters stay frozen whatever an optimizer does around them. Buffers come from
    /// <paramref name="model"/>: pass the model after the forward pass (<see cref="ValueAndGradient{TModel}.Model"/>).
    /// </summary>
    /// <remarks>Positions that share a tensor and receive bitwise-equal updates keep sharing one result tensor.</remarks>
    /// <typeparam name="TModel">The model's type.</typeparam>
    /// <param name="model">The model.</param>
    /// <param name="updates">One update per parameter, with the model's names, shapes and dtypes.</param>
    public static TModel ApplyUpdates<TModel>(TModel model, NamedTensors updates)
        where TModel : Layer
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(updates);
        var parameters = model.NamedParameters();
        var next = KeepTies(parameters, AddUpdates(parameters, updates));
        return (TModel)model.MapParameters((name, _) => next[name]);
    }

    /// <summary>p + u for every parameter, leaving elements whose update is exactly zero bitwise unchanged: the one addition of a step's updates.</summary>
    internal static NamedTensors AddUpdates(NamedTensors parameters, NamedTensors updates)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(updates);
        if (parameters.StructureDifference(updates) is { } difference)
            throw new ArgumentException($"The updates do not fit the parameters: {difference}.", nameof(updates));
        return NamedTensors.Zip(parameters, updates, static (_, p, u) => p.DType == DType.Float32
            ? Elementwise.Map<AddUnlessZero<float>, float>(p, u, default)
            : Elementwise.Map<AddUnlessZero<double>, double>(p, u, default));
    }

    /// <summary>Positions that shared one tensor before and got bitwise-equal results share one result tensor again.</summary>
    internal static NamedTensors KeepTies(NamedTensors before, NamedTensors after)
    {
        var first = new Dictionary<Tensor, List<Tensor>>(ReferenceEqualityComparer.Instance);
        return after.Map((name, result) =>
        {
            var results = first.TryGetValue(before[name], out var list) ? list : first[before[name]] = [];
            foreach (var earlier in results)
            {
                if (earlier.BitwiseEquals(result))
                    return earlier;
            }
            results.Add(result);
            return result;
        });
    }

    /// <summary>The model plus updates given as a layer of the model's structure (a gradient-shaped value).</summary>
    /// <typeparam name="TModel">The model's type.</typeparam>
    /// <param name="model">The model.</param>
    /// <param name="updates">One update per parameter, as a layer with the model's parameter names.</param>
    public static TModel ApplyUpdates<TModel>(TModel model, Layer updates)
        where TModel : Layer
    {
        ArgumentNullException.ThrowIfNull(updates);
        return ApplyUpdates(model, updates.NamedParameters());
    }
}
