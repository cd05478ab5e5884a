using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Autodiff;
using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

/// <summary>An activation layer, whether it has a kink at 0 (where differences are meaningless), and the axis it normalises along, if any.</summary>
public sealed record ActivationCase(string Name, Func<int, Layer> Create, bool Kinked, bool AlongAxis)
{
    public override string ToString() => Name;
}

/// <summary>An activation, an input shape of rank 1 to 4 (0- and 1-sized axes included), values at a scale up to 30, an axis and a seed.</summary>
public sealed record ActivationInput(ActivationCase Activation, int[] Dims, int Axis, double Scale, int Seed)
{
    public Layer Layer => Activation.Create(Axis);

    /// <summary>Normal draws at the scale, kept at least 0.05·scale away from 0 for kinked functions.</summary>
    public Tensor X(ulong stream = 0, DType dtype = DType.Float64)
    {
        var draws = Tensor.Normal(new Key((ulong)Seed).Fold(stream), new Shape(Dims), 0, Scale, DType.Float64).ToFloat64Array();
        if (Activation.Kinked && stream == 0)
            draws = [.. draws.Select(v => v + (Math.CopySign(0.05, v) * Scale))];
        return Tensor.FromSpan(draws, new Shape(Dims)).To(dtype);
    }

    public override string ToString() => $"{Activation}{(Activation.AlongAxis ? $"(axis={Axis})" : string.Empty)} on {Shape.Format(Dims)} at scale {Scale}, seed {Seed}";
}

public static class ActivationArbitraries
{
    private static readonly ActivationCase[] Cases =
    [
        new("relu", _ => new ReLU(), true, false),
        new("leaky_relu_0.2", _ => new LeakyReLU(0.2), true, false),
        new("sigmoid", _ => new Sigmoid(), false, false),
        new("tanh", _ => new Tanh(), false, false),
        new("gelu", _ => new GELU(), false, false),
        new("gelu_tanh", _ => new GELU(GeluApproximation.Tanh), false, false),
        new("silu", _ => new SiLU(), false, false),
        new("elu", _ => new ELU(), true, false),
        new("softplus", _ => new Softplus(), false, false),
        new("softmax", axis => new Softmax(axis), false, true),
        new("log_softmax", axis => new LogSoftmax(axis), false, true),
    ];

    public static Arbitrary<ActivationInput> Inputs() =>
        (from rank in Gen.Choose(1, 4)
         from dims in Gen.ArrayOf(Gen.Elements(0, 1, 2, 3, 5), rank)
         from axis in Gen.Choose(-rank, rank - 1)
         from activation in Gen.Elements(Cases)
         from scale in Gen.Elements(0.5, 1.0, 3.0, 30.0)
         from seed in Gen.Choose(0, int.MaxValue)
         select new ActivationInput(activation, dims, axis, scale, seed)).ToArbitrary();
}

[Properties(Arbitrary = [typeof(ActivationArbitraries)], MaxTest = 300)]
public sealed class ActivationLaws
{
    /// <summary>⟨dy, f(x)⟩'s gradient by float64 central differences equals the backward rule, element by element, through <see cref="GradCheck"/>.</summary>
    [Property]
    public Property Backward_matches_float64_central_differences(ActivationInput input)
    {
        var report = GradCheck.Layer(input.Layer, input.X(), step: 1e-6 * Math.Max(1, input.Scale));
        return report.Passed.Label($"{input}: {report}");
    }

    [Property]
    public Property Backward_is_linear_in_dy(ActivationInput input)
    {
        var layer = input.Layer;
        var traced = layer.Forward(input.X(), ForwardContext.Evaluation);
        var (a, b) = (input.X(1), input.X(2));
        var combined = layer.Backward(traced.Trace, (a * 2) + (b * -3)).Dx;
        var separate = (layer.Backward(traced.Trace, a).Dx * 2) + (layer.Backward(traced.Trace, b).Dx * -3);
        return combined.AllClose(separate, rtol: 1e-10, atol: 1e-10).Label(input.ToString());
    }

    /// <summary>
    /// Splitting the input along its first axis and joining the outputs gives the same bits as the whole (in float32 too):
    /// an element's value never depends on its position in the tensor or the tensor's length.
    /// </summary>
    [Property]
    public Property Outputs_do_not_depend_on_where_an_element_sits(ActivationInput input, PositiveInt splitChoice) =>
        Prop.When(input.Dims[0] >= 2 && (!input.Activation.AlongAxis || (input.Axis != 0 && input.Axis != -input.Dims.Length)), () =>
        {
            var results = new[] { DType.Float32, DType.Float64 }.All(dtype =>
            {
                var x = input.X(0, dtype);
                var split = 1 + (splitChoice.Get % (input.Dims[0] - 1));
                var whole = input.Layer.Forward(x);
                var parts = Tensor.Concat([input.Layer.Forward(x[..split]), input.Layer.Forward(x[split..])], axis: 0);
                return whole.BitwiseEquals(parts);
            });
            return results.Label(input.ToString());
        });

    [Property]
    public Property Float32_stays_finite_for_finite_input_however_large(ActivationInput input)
    {
        var x = (input.X() * 1000).To(DType.Float32);
        var layer = input.Layer;
        var traced = layer.Forward(x, ForwardContext.Evaluation);
        var dx = layer.Backward(traced.Trace, Tensor.Ones(x.Shape)).Dx;
        return (traced.Output.ToFloat64Array().All(double.IsFinite) && dx.ToFloat64Array().All(double.IsFinite)).Label(input.ToString());
    }
}
