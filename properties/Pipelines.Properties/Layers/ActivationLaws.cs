using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Layers.Functional;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

/// <summary>An activation with its backward rule (given x, y, dy) and whether it has a kink at 0, where differences are meaningless.</summary>
public sealed record ActivationCase(string Name, Func<Tensor, Tensor> Forward, Func<Tensor, Tensor, Tensor, Tensor> Backward, bool Kinked, int Axis)
{
    public override string ToString() => Axis == -1 ? Name : $"{Name}(axis={Axis})";
}

/// <summary>An activation, an input shape of rank 1 to 4 (0- and 1-sized axes included), values at a scale up to 30, and a seed.</summary>
public sealed record ActivationInput(ActivationCase Activation, int[] Dims, double Scale, int Seed)
{
    public Tensor X(ulong stream = 0) => Tensor.Normal(new Key((ulong)Seed).Fold(stream), new Shape(Dims), 0, Scale, DType.Float64);

    public override string ToString() => $"{Activation} on {Shape.Format(Dims)} at scale {Scale}, seed {Seed}";
}

public static class ActivationArbitraries
{
    private static ActivationCase[] Cases(int axis) =>
    [
        new("relu", Activations.Relu, (x, _, dy) => Activations.ReluBackward(x, dy), true, -1),
        new("leaky_relu_0.2", x => Activations.LeakyRelu(x, 0.2), (x, _, dy) => Activations.LeakyReluBackward(x, dy, 0.2), true, -1),
        new("sigmoid", Activations.Sigmoid, (_, y, dy) => Activations.SigmoidBackward(y, dy), false, -1),
        new("tanh", Activations.Tanh, (_, y, dy) => Activations.TanhBackward(y, dy), false, -1),
        new("gelu", x => Activations.Gelu(x), (x, _, dy) => Activations.GeluBackward(x, dy), false, -1),
        new("gelu_tanh", x => Activations.Gelu(x, GeluApproximation.Tanh), (x, _, dy) => Activations.GeluBackward(x, dy, GeluApproximation.Tanh), false, -1),
        new("silu", Activations.Silu, (x, _, dy) => Activations.SiluBackward(x, dy), false, -1),
        new("elu", x => Activations.Elu(x), (x, _, dy) => Activations.EluBackward(x, dy), true, -1),
        new("softplus", x => Activations.Softplus(x), (x, _, dy) => Activations.SoftplusBackward(x, dy), false, -1),
        new("softmax", x => Activations.Softmax(x, axis), (_, y, dy) => Activations.SoftmaxBackward(y, dy, axis), false, axis),
        new("log_softmax", x => Activations.LogSoftmax(x, axis), (_, y, dy) => Activations.LogSoftmaxBackward(y, dy, axis), false, axis),
    ];

    public static Arbitrary<ActivationInput> Inputs() =>
        (from rank in Gen.Choose(1, 4)
         from dims in Gen.ArrayOf(Gen.Elements(0, 1, 2, 3, 5), rank)
         from axis in Gen.Choose(-rank, rank - 1)
         from activation in Gen.Elements(Cases(axis))
         from scale in Gen.Elements(0.5, 1.0, 3.0, 30.0)
         from seed in Gen.Choose(0, int.MaxValue)
         select new ActivationInput(activation, dims, scale, seed)).ToArbitrary();
}

[Properties(Arbitrary = [typeof(ActivationArbitraries)], MaxTest = 300)]
public sealed class ActivationLaws
{
    /// <summary>⟨dy, f(x)⟩'s gradient by float64 central differences equals the backward rule, element by element.</summary>
    [Property]
    public Property Backward_matches_float64_central_differences(ActivationInput input)
    {
        var (f, x) = (input.Activation, input.X());
        var dy = input.X(1) / input.Scale;
        var analytic = f.Backward(x, f.Forward(x), dy).ToFloat64Array();
        var values = x.ToFloat64Array();
        var h = 1e-6 * Math.Max(1, input.Scale);
        double Loss(double[] v) => (f.Forward(Tensor.FromSpan(v, x.Shape)) * dy).Sum().Item();
        for (var i = 0; i < values.Length; i++)
        {
            if (f.Kinked && Math.Abs(values[i]) < 10 * h)
                continue;
            var (plus, minus) = ((double[])values.Clone(), (double[])values.Clone());
            plus[i] += h;
            minus[i] -= h;
            var numeric = (Loss(plus) - Loss(minus)) / (2 * h);
            if (Math.Abs(numeric - analytic[i]) > 1e-5 * (1 + Math.Abs(numeric)))
                return false.Label($"{input}: element {i} analytic {analytic[i]:R} numeric {numeric:R}");
        }
        return true.ToProperty();
    }

    [Property]
    public Property Backward_is_linear_in_dy(ActivationInput input)
    {
        var (f, x) = (input.Activation, input.X());
        var y = f.Forward(x);
        var (a, b) = (input.X(1), input.X(2));
        var combined = f.Backward(x, y, (a * 2) + (b * -3));
        var separate = (f.Backward(x, y, a) * 2) + (f.Backward(x, y, b) * -3);
        return combined.AllClose(separate, rtol: 1e-10, atol: 1e-10).Label(input.ToString());
    }

    [Property]
    public Property Float32_stays_finite_for_finite_input_however_large(ActivationInput input)
    {
        var x = (input.X() * 1000).To(DType.Float32);
        var y = input.Activation.Forward(x);
        var dx = input.Activation.Backward(x, y, Tensor.Ones(x.Shape));
        return (y.ToFloat64Array().All(double.IsFinite) && dx.ToFloat64Array().All(double.IsFinite)).Label(input.ToString());
    }
}
