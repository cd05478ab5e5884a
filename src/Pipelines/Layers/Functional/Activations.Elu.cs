using Pipelines.Tensors;

namespace Pipelines.Layers.Functional;

public static partial class Activations
{
    /// <summary>x where x &gt; 0, else α·(eˣ − 1). Like <c>F.elu(x, alpha)</c>.</summary>
    public static Tensor Elu(Tensor x, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Map(new EluFunction(alpha));
    }

    /// <summary>dx = dy where x &gt; 0, else dy·α·eˣ, from the input x.</summary>
    public static Tensor EluBackward(Tensor x, Tensor dy, double alpha = 1)
    {
        RequireSameShape("Elu", x, dy);
        return Tensor.Map(x, dy, new EluGradient(alpha));
    }

    private readonly record struct EluFunction(double Alpha) : IScalarFunction
    {
        public double Invoke(double x) => x > 0 || double.IsNaN(x) ? x : Alpha * SpecialFunctions.Expm1(x);
    }

    private readonly record struct EluGradient(double Alpha) : IScalarFunction2
    {
        public double Invoke(double x, double y) => x > 0 ? y : y * Alpha * Math.Exp(x);
    }
}
