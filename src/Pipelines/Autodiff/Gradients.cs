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
    /// </summary>
    public static ValueAndGradient ValueAndGrad(Layer model, Tensor input, Func<Tensor, LossValue> loss, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        var traced = model.Forward(input, context);
        var value = loss(traced.Output);
        var (_, gradient) = model.Backward(traced.Trace, value.Gradient);
        return new ValueAndGradient(value.Value, gradient, traced.Next);
    }

    /// <summary>
    /// The model plus the updates, parameter by parameter. An update of exactly zero leaves its element bitwise
    /// unchanged (even −0), so frozen parameters stay frozen whatever an optimizer does around them.
    /// </summary>
    public static TLayer ApplyUpdates<TLayer>(TLayer model, Layer updates)
        where TLayer : Layer =>
        (TLayer)Layer.Zip(model, updates, static (_, p, u) => Tensor.Map(p, u.To(p.DType), default(AddUnlessZero)));

    private readonly struct AddUnlessZero : IScalarFunction2
    {
        public double Invoke(double x, double y) => y == 0 ? x : x + y;
    }
}

/// <summary>A loss value, its gradient shaped like the model, and the model after the forward pass.</summary>
public sealed record ValueAndGradient(double Value, Layer Gradient, Layer Next);
