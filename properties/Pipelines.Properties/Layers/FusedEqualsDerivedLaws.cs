using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

/// <summary><see cref="Linear"/> written forward-only: x·Wᵀ + b over the last axis.</summary>
public sealed partial record DerivedLinear(Tensor Weight, Tensor? Bias) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape)
    {
        var rows = x.Reshape(-1, Weight.Shape[1]);
        var product = Variable.MatMul(rows, tape.Parameter(Weight).Transpose());
        var biased = Bias is null ? product : product + tape.Parameter(Bias);
        return biased.Reshape([.. x.Shape.Dims[..^1], Weight.Shape[0]]);
    }
}

/// <summary><see cref="LayerNorm"/> over the last axis written forward-only, with the biased variance PyTorch uses.</summary>
public sealed partial record DerivedLayerNorm(Tensor Weight, Tensor Bias, double Eps) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape) =>
        ((x - x.Mean(-1, keepDim: true)) / (x.Var(-1, keepDim: true, correction: 0) + Eps).Sqrt() * tape.Parameter(Weight)) + tape.Parameter(Bias);
}

/// <summary><see cref="BatchNorm1d"/> in training on [N, C], written forward-only: batch statistics over the first axis.</summary>
public sealed partial record DerivedBatchNorm(Tensor Weight, Tensor Bias, double Eps) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape) =>
        ((x - x.Mean(0, keepDim: true)) / (x.Var(0, keepDim: true, correction: 0) + Eps).Sqrt() * tape.Parameter(Weight)) + tape.Parameter(Bias);
}

/// <summary><see cref="Residual"/> written forward-only.</summary>
public sealed partial record DerivedResidual(Layer Fn) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape) => x + tape.Call(Fn, x);
}

/// <summary>An activation written forward-only.</summary>
public sealed record DerivedActivation(string Name, Func<Variable, Variable> Body) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape) => Body(x);
}

/// <summary>A built-in layer with its fused backward, its forward-only twin, and an input.</summary>
public sealed record FusedCase(string Kind, int[] Leading, int Features, int Seed)
{
    private Key Key => new((ulong)Seed);

    public Tensor Input() => Tensor.Normal(Key.Fold(1), new Shape([.. Leading, Features]), dtype: DType.Float64);

    public (Layer Fused, Layer Derived) Build()
    {
        var (w, b) = (Tensor.Normal(Key.Fold(2), new Shape(Features), 1, 0.5, DType.Float64), Tensor.Normal(Key.Fold(3), new Shape(Features), dtype: DType.Float64));
        var linear = new Linear(Key.Fold(4), Features, 3, dtype: DType.Float64);
        (Layer, Layer) Activation(Layer fused, Func<Variable, Variable> body) => (fused, new DerivedActivation(Kind, body));
        return Kind switch
        {
            "linear" => (linear, new DerivedLinear(linear.Weight, linear.Bias)),
            "linear_no_bias" => (new Linear(linear.Weight), new DerivedLinear(linear.Weight, null)),
            "layernorm" => (new LayerNorm(new Shape(Features), w, b), new DerivedLayerNorm(w, b, 1e-5)),
            "batchnorm" => (new BatchNorm1d(Features, w, b, null, null, null), new DerivedBatchNorm(w, b, 1e-5)),
            "residual" => (new Residual(new Linear(Key.Fold(5), Features, Features, dtype: DType.Float64)), new DerivedResidual(new Linear(Key.Fold(5), Features, Features, dtype: DType.Float64))),
            "relu" => Activation(new ReLU(), x => x.Relu()),
            "leaky_relu" => Activation(new LeakyReLU(0.2), x => x.LeakyRelu(0.2)),
            "sigmoid" => Activation(new Sigmoid(), x => x.Sigmoid()),
            "tanh" => Activation(new Tanh(), x => x.Tanh()),
            "gelu" => Activation(new GELU(), x => x.Gelu()),
            "gelu_tanh" => Activation(new GELU(GeluApproximation.Tanh), x => x.Gelu(GeluApproximation.Tanh)),
            "silu" => Activation(new SiLU(), x => x.Silu()),
            "elu" => Activation(new ELU(), x => x.Elu()),
            "softplus" => Activation(new Softplus(), x => x.Softplus()),
            "softmax" => Activation(new Softmax(), x => x.Softmax()),
            _ => Activation(new LogSoftmax(), x => x.LogSoftmax()),
        };
    }

    public override string ToString() => $"{Kind} on {Shape.Format([.. Leading, Features])}, seed {Seed}";
}

public static class FusedArbitraries
{
    private static readonly string[] Kinds =
        ["linear", "linear_no_bias", "layernorm", "batchnorm", "residual", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "gelu_tanh", "silu", "elu", "softplus", "softmax", "log_softmax"];

    public static Arbitrary<FusedCase> Cases() =>
        (from kind in Gen.Elements(Kinds)
         from leading in kind == "batchnorm"
             ? Gen.Elements(2, 3, 8).Select(n => new[] { n })
             : Gen.Elements(new[] { 1 }, [3], [0], [2, 3], [4, 1, 2])
         from features in Gen.Elements(1, 2, 3, 5, 8)
         from seed in Gen.Choose(0, int.MaxValue)
         select new FusedCase(kind, leading, features, seed)).ToArbitrary();
}

[Properties(Arbitrary = [typeof(FusedArbitraries)], MaxTest = 400)]
public sealed class FusedEqualsDerivedLaws
{
    /// <summary>
    /// Each built-in layer's hand-fused backward equals the backward derived from its forward written with
    /// <see cref="Variable"/>'s operations: the output, the input gradient and every parameter gradient, by name, to
    /// float64 rounding (the two round differently: a fused kernel adds in another order).
    /// </summary>
    [Property]
    public Property A_fused_backward_equals_the_derived_one(FusedCase layer)
    {
        var (fused, derived) = layer.Build();
        var x = layer.Input();
        var context = ForwardContext.Training(new Key(7));
        var (f, d) = (fused.Forward(x, context), derived.Forward(x, context));
        var dy = Tensor.Normal(new Key(8), f.Output.Shape, dtype: DType.Float64);
        var (fdx, fg) = fused.Backward(f.Trace, dy);
        var (ddx, dg) = derived.Backward(d.Trace, dy);
        var (fp, dp) = (fg.NamedParameters(), dg.NamedParameters());
        var same = f.Output.AllClose(d.Output, rtol: 1e-9, atol: 1e-11)
            && fdx.AllClose(ddx, rtol: 1e-9, atol: 1e-11)
            && fp.Names.SequenceEqual(dp.Names)
            && fp.Names.All(name => fp[name].AllClose(dp[name], rtol: 1e-9, atol: 1e-11));
        return same.Label($"{layer}: output {f.Output.MaxAbsDifference(d.Output):E2}, dx {fdx.MaxAbsDifference(ddx):E2}, parameters [{string.Join(", ", fp.Names)}] vs [{string.Join(", ", dp.Names)}]");
    }
}
