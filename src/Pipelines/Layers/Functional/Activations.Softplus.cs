using Pipelines.Tensors;

namespace Pipelines.Layers.Functional;

public static partial class Activations
{
    /// <summary>log(1 + e^(βx)) / β, and x itself where βx exceeds the threshold. Like <c>F.softplus(x, beta, threshold)</c>.</summary>
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Map(new SoftplusFunction(beta, threshold));
    }

    /// <summary>dx = dy·σ(βx) (dy past the threshold), from the input x.</summary>
    public static Tensor SoftplusBackward(Tensor x, Tensor dy, double beta = 1, double threshold = 20)
    {
        RequireSameShape("Softplus", x, dy);
        return Tensor.Map(x, dy, new SoftplusGradient(beta, threshold));
    }

    private readonly record struct SoftplusFunction(double Beta, double Threshold) : IScalarFunction
    {
        public double Invoke(double x) => x * Beta > Threshold ? x : SpecialFunctions.Log1p(Math.Exp(Beta * x)) / Beta;
    }

    private readonly record struct SoftplusGradient(double Beta, double Threshold) : IScalarFunction2
    {
        public double Invoke(double x, double y) => x * Beta > Threshold ? y : y * Logistic(Beta * x);
    }
}
