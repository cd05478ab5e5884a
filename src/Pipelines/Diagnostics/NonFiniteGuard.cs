using Pipelines.Autodiff;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Diagnostics;

/// <summary>Where values first stopped being finite: a layer's output in the forward pass, or a parameter's gradient.</summary>
/// <param name="Where"><c>output</c> (a layer's forward output), <c>gradient</c> (a parameter's gradient), <c>parameter</c> (a parameter itself) or <c>loss</c>.</param>
/// <param name="Path">The layer's path or the parameter's name.</param>
/// <param name="LayerType">The layer's type name.</param>
/// <param name="Detail">How many elements are NaN or infinite.</param>
public sealed record NonFiniteFinding(string Where, string Path, string LayerType, string Detail);

/// <summary>Finds the first layer whose output, or the first parameter whose gradient, holds NaN or ±∞.</summary>
public static class NonFiniteGuard
{
    /// <summary>
    /// Runs one training step's forward and backward and returns the first non-finite value in forward order of the
    /// layers' outputs, else in parameter order of the gradient, or null when everything is finite.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A batch of inputs.</param>
    /// <param name="loss">The loss of the model's output.</param>
    /// <param name="context">The forward's context (its tap, if any, still runs).</param>
    public static NonFiniteFinding? Check(Layer model, Tensor input, Func<Tensor, LossValue> loss, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(context);
        NonFiniteFinding? first = null;
        var tapped = context with
        {
            Tap = (path, layer, x, output) =>
            {
                context.Tap?.Invoke(path, layer, x, output);
                if (first is null && Count(output) is var (nan, inf) && nan + inf > 0)
                    first = new NonFiniteFinding("output", path.Length == 0 ? "(model)" : path, layer.GetType().Name, $"{nan} NaN and {inf} infinite of {output.Count} elements, input {(Count(x) is (0, 0) ? "finite" : "already non-finite")}");
            },
        };
        var result = Gradients.ValueAndGrad(model, input, loss, tapped);
        if (first is not null)
            return first;
        foreach (var (name, g) in result.Gradient.NamedParameters())
        {
            if (Count(g) is var (nan, inf) && nan + inf > 0)
                return new NonFiniteFinding("gradient", name, "parameter", $"{nan} NaN and {inf} infinite of {g.Count} elements");
        }
        return double.IsFinite(result.Value) ? null : new NonFiniteFinding("loss", "(loss)", "loss", $"the loss is {result.Value}");
    }

    /// <summary>The first parameter (in the state dict's order) holding NaN or ±∞, or null when all are finite.</summary>
    /// <param name="model">The model, after an optimizer step say.</param>
    public static NonFiniteFinding? CheckParameters(Layer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (name, p) in model.NamedParameters())
        {
            // A pass over the storage as it is, without a float64 copy: this runs before every checkpoint.
            if (p.DType.IsFloatingPoint() && !(p.DType == DType.Float32 ? AllFinite(p.AsSpan<float>()) : AllFinite(p.AsSpan<double>())) && Count(p) is var (nan, inf))
                return new NonFiniteFinding("parameter", name, "parameter", $"{nan} NaN and {inf} infinite of {p.Count} elements");
        }
        return null;
    }

    private static bool AllFinite<T>(ReadOnlySpan<T> values)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        foreach (var value in values)
        {
            if (!T.IsFinite(value))
                return false;
        }
        return true;
    }

    private static (int NaN, int Infinity) Count(Tensor t)
    {
        var values = t.ToFloat64Array();
        return (values.Count(double.IsNaN), values.Count(double.IsInfinity));
    }
}
