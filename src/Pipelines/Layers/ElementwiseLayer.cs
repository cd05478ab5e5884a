using System.Globalization;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A layer without parameters that applies a function element by element (or along one axis): its trace keeps
/// the input and the output, whichever its derivative needs, and its gradient is the layer itself.
/// </summary>
public abstract record ElementwiseLayer : Layer
{
    /// <summary>The function.</summary>
    /// <param name="x">The input.</param>
    protected abstract Tensor Apply(Tensor x);

    /// <summary>dx from the input x, the output y and the upstream gradient dy.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient of the output.</param>
    protected abstract Tensor Derivative(Tensor x, Tensor y, Tensor dy);

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var y = Apply(x);
        return new Traced(y, new ElementwiseTrace(x, y), this);
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var saved = Expect<ElementwiseTrace>(trace);
        ExpectGradient(saved.Output, dy, trace);
        return (inputGradient ? Derivative(saved.Input, saved.Output, dy) : null, this);
    }

    /// <summary>A number as Python prints a float in a module's repr: <c>1.0</c>, <c>0.2</c>.</summary>
    /// <param name="value">The number.</param>
    protected static string PythonFloat(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e16 ? value.ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
}
