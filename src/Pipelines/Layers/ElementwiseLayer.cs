using System.Globalization;
using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A layer without parameters that applies a function element by element (or along one axis): its trace keeps
/// the input and the output, whichever its derivative needs, and its gradient is the layer itself.
/// </summary>
public abstract record ElementwiseLayer : Layer
{
    /// <summary>The function.</summary>
    protected abstract Tensor Apply(Tensor x);

    /// <summary>dx from the input x, the output y and the upstream gradient dy.</summary>
    protected abstract Tensor Derivative(Tensor x, Tensor y, Tensor dy);

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        var y = Apply(x);
        return new Traced(y, new ElementwiseTrace(x, y), this);
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var saved = Expect<ElementwiseTrace>(trace, GetType().Name, path);
        ExpectGradient(saved.Output, dy, GetType().Name, path);
        return (Derivative(saved.Input, saved.Output, dy), this);
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) => [];

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) => this;

    /// <summary>A number as Python prints a float in a module's repr: <c>1.0</c>, <c>0.2</c>.</summary>
    protected static string PythonFloat(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e16 ? value.ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
}
