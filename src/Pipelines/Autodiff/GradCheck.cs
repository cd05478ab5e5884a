using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Autodiff;

/// <summary>The worst disagreement found by <see cref="GradCheck"/>: which tensor, which element, and both values.</summary>
/// <param name="Passed">Whether every element agreed within the tolerance.</param>
/// <param name="Worst">The name of the tensor holding the worst element: <c>input</c> or a parameter name such as <c>0.weight</c>.</param>
/// <param name="Index">The worst element's index in that tensor.</param>
/// <param name="Analytic">The backward's value there.</param>
/// <param name="Numeric">The central difference there.</param>
/// <param name="Error">|numeric − analytic| / (1 + |numeric|).</param>
/// <param name="Checked">How many elements were compared.</param>
public sealed record GradCheckReport(bool Passed, string Worst, int[] Index, double Analytic, double Numeric, double Error, int Checked)
{
    /// <summary>A one-line account, e.g. <c>worst 0.weight[2, 3]: analytic 0.125, numeric 0.125, error 3.1E-010 over 412 elements</c>.</summary>
    public override string ToString() =>
        $"{(Passed ? "passed" : "FAILED")}: worst {Worst}{Shape.Format(Index)}: analytic {Analytic:R}, numeric {Numeric:R}, error {Error:E2} over {Checked} elements";
}

/// <summary>
/// Compares analytic gradients with float64 central differences: of a layer (input and every parameter, for the
/// loss ⟨dy, f(x)⟩ with a random dy), or of a loss. It refuses float32 unless told otherwise: float32 differences
/// are too noisy to confirm or refute anything.
/// </summary>
public static class GradCheck
{
    /// <summary>Checks a layer's backward at <paramref name="input"/>: the input gradient and every parameter's.</summary>
    /// <param name="layer">The layer, with float64 parameters.</param>
    /// <param name="input">The point, float64.</param>
    /// <param name="context">The forward's context (default: training, key 0); the same context is used for every evaluation.</param>
    /// <param name="step">The difference step h.</param>
    /// <param name="tolerance">The largest |numeric − analytic| / (1 + |numeric|) that passes.</param>
    /// <param name="allowFloat32">Run on float32 anyway.</param>
    public static GradCheckReport Layer(Layer layer, Tensor input, ForwardContext? context = null, double step = 1e-6, double tolerance = 1e-5, bool allowFloat32 = false)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(input);
        RequireFloat64(input, allowFloat32);
        context ??= ForwardContext.Training(new Key(0));
        var traced = layer.Forward(input, context);
        var dy = Tensor.Normal(new Key(0x6772_6164), traced.Output.Shape, dtype: traced.Output.DType);
        var (dx, gradient) = layer.Backward(traced.Trace, dy);
        double Loss(Layer l, Tensor x) => (l.Forward(x, context).Output * dy).SumAsDouble();
        var checks = new List<(string Name, Tensor Analytic, Tensor Point, Func<Tensor, double> F)> { ("input", dx, input, x => Loss(layer, x)) };
        var analytic = gradient.NamedParameters();
        foreach (var (name, value) in layer.NamedParameters())
            checks.Add((name, analytic[name], value, p => Loss(layer.MapParameters((n, t) => n == name ? p : t), input)));
        return Compare(checks, step, tolerance);
    }

    /// <summary>Checks a loss's gradient with respect to its input.</summary>
    /// <param name="loss">The loss, with its gradient.</param>
    /// <param name="input">The point, float64.</param>
    /// <param name="step">The difference step h.</param>
    /// <param name="tolerance">The largest |numeric − analytic| / (1 + |numeric|) that passes.</param>
    /// <param name="allowFloat32">Run on float32 anyway.</param>
    public static GradCheckReport Loss(Func<Tensor, LossValue> loss, Tensor input, double step = 1e-6, double tolerance = 1e-5, bool allowFloat32 = false)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(input);
        RequireFloat64(input, allowFloat32);
        return Compare([("input", loss(input).Gradient, input, x => loss(x).Value)], step, tolerance);
    }

    private static GradCheckReport Compare(List<(string Name, Tensor Analytic, Tensor Point, Func<Tensor, double> F)> checks, double step, double tolerance)
    {
        var worst = new GradCheckReport(true, "input", [], 0, 0, 0, 0);
        var count = 0;
        foreach (var (name, analyticTensor, point, f) in checks)
        {
            var values = point.ToFloat64Array();
            var analytic = analyticTensor.ToFloat64Array();
            for (var i = 0; i < values.Length; i++)
            {
                var (plus, minus) = ((double[])values.Clone(), (double[])values.Clone());
                plus[i] += step;
                minus[i] -= step;
                var numeric = (f(Tensor.FromSpan(plus, point.Shape).To(point.DType)) - f(Tensor.FromSpan(minus, point.Shape).To(point.DType))) / (2 * step);
                var error = Math.Abs(numeric - analytic[i]) / (1 + Math.Abs(numeric));
                count++;
                if (error > worst.Error || double.IsNaN(error))
                    worst = new GradCheckReport(!(error > tolerance) && !double.IsNaN(error), name, Unravel(i, point.Shape), analytic[i], numeric, error, 0);
            }
        }
        return worst with { Passed = worst.Passed && !double.IsNaN(worst.Error), Checked = count };
    }

    private static int[] Unravel(int flat, Shape shape)
    {
        var index = new int[shape.Rank];
        for (var axis = shape.Rank - 1; axis >= 0; axis--)
        {
            index[axis] = flat % Math.Max(1, shape.Dims[axis]);
            flat /= Math.Max(1, shape.Dims[axis]);
        }
        return index;
    }

    private static void RequireFloat64(Tensor input, bool allowFloat32)
    {
        if (input.DType != DType.Float64 && !allowFloat32)
            throw new ArgumentException($"GradCheck needs float64 input but got {input.DType.Name()}: float32 finite differences are too noisy to mean anything. Convert the layer and input with To(DType.Float64), or pass allowFloat32: true.", nameof(input));
    }
}
