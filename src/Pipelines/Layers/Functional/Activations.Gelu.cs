using Pipelines.Tensors;

namespace Pipelines.Layers.Functional;

/// <summary>Which GELU, as <c>F.gelu(x, approximate=...)</c> names them.</summary>
public enum GeluApproximation
{
    /// <summary>The exact x·Φ(x), with the error function (PyTorch's default, <c>"none"</c>).</summary>
    None,

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (<c>"tanh"</c>).</summary>
    Tanh,
}

public static partial class Activations
{
    private const double SqrtTwoOverPi = 0.7978845608028654;
    private const double GeluCubic = 0.044715;

    /// <summary>The Gaussian error linear unit. Like <c>F.gelu</c>.</summary>
    public static Tensor Gelu(Tensor x, GeluApproximation approximation = GeluApproximation.None)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Map(new GeluFunction(approximation));
    }

    /// <summary>dx = dy·GELU′(x), from the input x.</summary>
    public static Tensor GeluBackward(Tensor x, Tensor dy, GeluApproximation approximation = GeluApproximation.None)
    {
        RequireSameShape("Gelu", x, dy);
        return Tensor.Map(x, dy, new GeluGradient(approximation));
    }

    private readonly record struct GeluFunction(GeluApproximation Approximation) : IScalarFunction
    {
        public double Invoke(double x) => Approximation == GeluApproximation.None
            ? 0.5 * x * (1 + SpecialFunctions.Erf(x / Math.Sqrt(2)))
            : 0.5 * x * (1 + Math.Tanh(SqrtTwoOverPi * (x + (GeluCubic * x * x * x))));
    }

    private readonly record struct GeluGradient(GeluApproximation Approximation) : IScalarFunction2
    {
        public double Invoke(double x, double y)
        {
            if (Approximation == GeluApproximation.None)
            {
                var cdf = 0.5 * (1 + SpecialFunctions.Erf(x / Math.Sqrt(2)));
                var pdf = Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
                return y * (cdf + (x * pdf));
            }
            var inner = Math.Tanh(SqrtTwoOverPi * (x + (GeluCubic * x * x * x)));
            var derivative = (0.5 * (1 + inner)) + (0.5 * x * (1 - (inner * inner)) * SqrtTwoOverPi * (1 + (3 * GeluCubic * x * x)));
            return y * derivative;
        }
    }
}
