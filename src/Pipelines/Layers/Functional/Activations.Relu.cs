using Pipelines.Tensors;

namespace Pipelines.Layers.Functional;

public static partial class Activations
{
    /// <summary>max(x, 0); NaN stays NaN. Like <c>F.relu</c>.</summary>
    public static Tensor Relu(Tensor x) => LeakyRelu(x, 0);

    /// <summary>dx = dy where x &gt; 0, else 0 (0 at x = 0, as PyTorch).</summary>
    public static Tensor ReluBackward(Tensor x, Tensor dy) => LeakyReluBackward(x, dy, 0);

    /// <summary>x where x &gt; 0, else slope·x. Like <c>F.leaky_relu(x, negative_slope)</c>.</summary>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Map(new LeakyReluFunction(negativeSlope));
    }

    /// <summary>dx = dy where x &gt; 0, else slope·dy.</summary>
    public static Tensor LeakyReluBackward(Tensor x, Tensor dy, double negativeSlope = 0.01)
    {
        RequireSameShape("LeakyRelu", x, dy);
        return Tensor.Map(x, dy, new LeakyReluGradient(negativeSlope));
    }

    private readonly record struct LeakyReluFunction(double Slope) : IScalarFunction
    {
        public double Invoke(double x) => x > 0 || double.IsNaN(x) ? x : Slope * x;
    }

    private readonly record struct LeakyReluGradient(double Slope) : IScalarFunction2
    {
        public double Invoke(double x, double y) => x > 0 ? y : Slope * y;
    }
}
