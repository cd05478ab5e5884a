using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

public sealed partial class Variable
{
    /// <summary>eˣ element-wise.</summary>
    public Variable Exp()
    {
        var y = Value.Exp();
        return Unary(this, y, g => g * y);
    }

    /// <summary>The natural logarithm element-wise.</summary>
    public Variable Log() => Unary(this, Value.Log(), g => g / Value);

    /// <summary>The square root element-wise.</summary>
    public Variable Sqrt()
    {
        var y = Value.Sqrt();
        return Unary(this, y, g => g * 0.5 / y);
    }

    /// <summary>Each element raised to <paramref name="exponent"/>, like <c>x.pow(p)</c>.</summary>
    /// <param name="exponent">The power.</param>
    public Variable Pow(double exponent) => Unary(this, Value.Pow(exponent), g => exponent == 0
        ? Tensor.Zeros(Shape, DType)
        : g * exponent * Value.Pow(exponent - 1));

    /// <summary>Each element squared, like <c>x.square()</c>.</summary>
    public Variable Square() => Unary(this, Value * Value, g => g * 2 * Value);

    /// <summary>The absolute value element-wise; its gradient at 0 is 0, as PyTorch's.</summary>
    public Variable Abs() => Unary(this, Value.Abs(), g => g * Value.Sign());

    /// <summary>Each element limited to [<paramref name="min"/>, <paramref name="max"/>], like <c>x.clamp(min, max)</c>; the gradient passes where the bounds hold (inclusive), as PyTorch's.</summary>
    /// <param name="min">The lower bound; -∞ for none.</param>
    /// <param name="max">The upper bound; +∞ for none.</param>
    public Variable Clamp(double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        Unary(this, Value.Clamp(min, max), g => g * Within(Value, min, max));

    /// <summary>The element-wise maximum with broadcasting, like <c>torch.maximum</c>; at ties each side gets half the gradient, as PyTorch's.</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other operand.</param>
    public static Variable Maximum(Variable a, Variable b) => Extremum(a, b, Tensor.Maximum(Checked(a).Value, Checked(b).Value), Tensor.Greater);

    /// <summary>The element-wise minimum with broadcasting, like <c>torch.minimum</c>; at ties each side gets half the gradient.</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other operand.</param>
    public static Variable Minimum(Variable a, Variable b) => Extremum(a, b, Tensor.Minimum(Checked(a).Value, Checked(b).Value), Tensor.Less);

    /// <summary><paramref name="a"/> where <paramref name="condition"/> is non-zero and <paramref name="b"/> elsewhere, like <c>torch.where</c>; the three broadcast.</summary>
    /// <param name="condition">The mask (a constant, of any dtype).</param>
    /// <param name="a">Taken where the condition holds.</param>
    /// <param name="b">Taken elsewhere.</param>
    public static Variable Where(Tensor condition, Variable a, Variable b)
    {
        var value = Tensor.Where(condition, Checked(a).Value, Checked(b).Value);
        var zero = Tensor.Zeros(Shape.Scalar, value.DType);
        return Binary(a, b, value, g => Tensor.Where(condition, g, zero).SumToSize(a.Shape), g => Tensor.Where(condition, zero, g).SumToSize(b.Shape));
    }

    /// <summary>This variable with <paramref name="value"/> where <paramref name="mask"/> is non-zero, like <c>x.masked_fill(mask, value)</c>; the filled places get no gradient.</summary>
    /// <param name="mask">Where to fill (a constant that broadcasts to this shape).</param>
    /// <param name="value">The value written there (-∞ for attention masks).</param>
    public Variable MaskedFill(Tensor mask, double value)
    {
        var zero = Tensor.Zeros(Shape.Scalar, DType);
        return Unary(this, Value.MaskedFill(mask, value), g => Tensor.Where(mask, zero, g));
    }

    /// <summary>The logistic sigmoid, 1/(1+e⁻ˣ).</summary>
    public Variable Sigmoid()
    {
        var y = Activations.Sigmoid(Value);
        return Unary(this, y, g => Activations.SigmoidBackward(y, g));
    }

    /// <summary>The hyperbolic tangent.</summary>
    public Variable Tanh()
    {
        var y = Activations.Tanh(Value);
        return Unary(this, y, g => Activations.TanhBackward(y, g));
    }

    /// <summary>max(0, x).</summary>
    public Variable Relu() => Unary(this, Activations.Relu(Value), g => Activations.ReluBackward(Value, g));

    /// <summary>x for x &gt; 0, else <paramref name="negativeSlope"/>·x.</summary>
    /// <param name="negativeSlope">The slope below zero.</param>
    public Variable LeakyRelu(double negativeSlope = 0.01) =>
        Unary(this, Activations.LeakyRelu(Value, negativeSlope), g => Activations.LeakyReluBackward(Value, g, negativeSlope));

    /// <summary>The Gaussian error linear unit, exact or with the tanh approximation.</summary>
    /// <param name="approximation">As PyTorch's <c>approximate</c>.</param>
    public Variable Gelu(GeluApproximation approximation = GeluApproximation.None) =>
        Unary(this, Activations.Gelu(Value, approximation), g => Activations.GeluBackward(Value, g, approximation));

    /// <summary>x·σ(x) (also called swish).</summary>
    public Variable Silu() => Unary(this, Activations.Silu(Value), g => Activations.SiluBackward(Value, g));

    /// <summary>x for x &gt; 0, else α(eˣ − 1).</summary>
    /// <param name="alpha">α.</param>
    public Variable Elu(double alpha = 1) => Unary(this, Activations.Elu(Value, alpha), g => Activations.EluBackward(Value, g, alpha));

    /// <summary>log(1 + e^(βx))/β, linear above the threshold, as PyTorch's.</summary>
    /// <param name="beta">β.</param>
    /// <param name="threshold">Above βx &gt; threshold the result is x.</param>
    public Variable Softplus(double beta = 1, double threshold = 20) =>
        Unary(this, Activations.Softplus(Value, beta, threshold), g => Activations.SoftplusBackward(Value, g, beta, threshold));

    /// <summary>The softmax along <paramref name="axis"/>.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    public Variable Softmax(int axis = -1)
    {
        var y = Activations.Softmax(Value, axis);
        return Unary(this, y, g => Activations.SoftmaxBackward(y, g, axis));
    }

    /// <summary>The log-softmax along <paramref name="axis"/>.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    public Variable LogSoftmax(int axis = -1)
    {
        var y = Activations.LogSoftmax(Value, axis);
        return Unary(this, y, g => Activations.LogSoftmaxBackward(y, g, axis));
    }

    /// <summary>log Σ eˣ along <paramref name="axis"/>, computed stably (shifted by the maximum), like <c>torch.logsumexp</c>.</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis with extent 1.</param>
    public Variable LogSumExp(int axis = -1, bool keepDim = false)
    {
        var shift = Value.Max(axis, keepDim: true);
        // An all -∞ row has the maximum -∞; shifting by it would give NaN, so such rows are shifted by 0 (PyTorch does the same).
        shift = Tensor.Where(Tensor.EqualTo(shift.Abs(), Tensor.Full(Shape.Scalar, double.PositiveInfinity, DType)), Tensor.Zeros(Shape.Scalar, DType), shift);
        var kept = (Value - shift).Exp().Sum(axis, keepDim: true).Log() + shift;
        var value = keepDim ? kept : kept.Reshape(Shape.Reduced(axis, keep: false));
        return Unary(this, value, g => g.Reshape(kept.Shape) * (Value - kept).Exp());
    }

    private static Variable Extremum(Variable a, Variable b, Tensor value, Func<Tensor, Tensor, Tensor> wins)
    {
        var tie = Tensor.EqualTo(a.Value, b.Value) * 0.5;
        return Binary(
            a,
            b,
            value,
            g => (g * (wins(a.Value, b.Value) + tie)).SumToSize(a.Shape),
            g => (g * (wins(b.Value, a.Value) + tie)).SumToSize(b.Shape));
    }

    private static Tensor Within(Tensor x, double min, double max)
    {
        var one = Tensor.Ones(Shape.Scalar, x.DType);
        return (one - Tensor.Less(x, Tensor.Full(Shape.Scalar, min, x.DType))) * (one - Tensor.Greater(x, Tensor.Full(Shape.Scalar, max, x.DType)));
    }
}
