using FsCheck;
using FsCheck.Fluent;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

/// <summary>
/// A float64 layer of one kind and an input for it: leading axes (N-D and empty ones included) then the features,
/// described by kind, shape and seed so a failing case can be rebuilt.
/// </summary>
public sealed record LayerCase(string Kind, int[] Leading, int Features, int Seed)
{
    /// <summary>Layers whose rows do not interact (no batch statistics), so batch laws apply.</summary>
    public bool RowWise => Kind is not ("batchnorm" or "batchnorm_3d");

    /// <summary>Layers that need a minimum batch: batch statistics need more than one value per channel.</summary>
    public bool Defined => !RowWise ? Leading.Aggregate(1, (a, b) => a * b) * (Kind == "batchnorm_3d" ? 2 : 1) >= 2 : true;

    public Shape InputShape => Kind == "batchnorm_3d" ? new Shape([.. Leading, Features, 2]) : new Shape([.. Leading, Features]);

    private Key Key => new((ulong)Seed);

    public Tensor Input(ulong stream = 0) => Tensor.Normal(Key.Fold(100 + stream), InputShape, dtype: DType.Float64);

    public Layer Build()
    {
        var k = Key.Split(6);
        Linear Dense(int i, int inF, int outF) => new(k[i], inF, outF, dtype: DType.Float64);
        Layer Perturbed(Layer layer) => layer.MapParameters((_, p) => p + Tensor.Normal(k[2], p.Shape, dtype: DType.Float64));
        return Kind switch
        {
            "linear" => Dense(0, Features, 3),
            "chain" => Dense(0, Features, 4) >> new Tanh() >> Dense(1, 4, 2) >> new GELU(),
            "dropout" => Dense(0, Features, 3) >> new Dropout(0.4),
            "batchnorm" or "batchnorm_3d" => Perturbed(new BatchNorm1d(Features, dtype: DType.Float64)),
            "layernorm" => Perturbed(new LayerNorm(Features, dtype: DType.Float64)),
            "layernorm_plain" => new LayerNorm(Features, elementwiseAffine: false, dtype: DType.Float64),
            "flatten" => new Reshape(1, Features) >> new Flatten() >> Dense(0, Features, 2),
            "residual" => new Residual(Dense(0, Features, Features) >> new SiLU()),
            "parallel_concat" => new Branches(Join.Concat, Dense(0, Features, 2), Dense(1, Features, 3) >> new Softplus()),
            "parallel_sum" => new Branches(Join.Sum, Dense(0, Features, 2), Dense(1, Features, 2) >> new ELU()),
            "masked" => new MaskedLinear(Dense(0, Features, 3), Half(Tensor.Uniform(k[3], new Shape(3, Features), dtype: DType.Float64))),
            "lora" => new LoRA(Dense(0, Features, 3), new Linear(Dense(1, Features, 2).Weight), new Linear(Tensor.Normal(k[4], new Shape(3, 2), dtype: DType.Float64)), alpha: 4),
            "lowrank" => LowRankLinear.Create(k[0], Features, 3, 2, dtype: DType.Float64),
            "sigmoid" => Dense(0, Features, 3) >> new Sigmoid() >> new LeakyReLU(0.2),
            _ => Dense(0, Features, 3) >> new LogSoftmax(),
        };
    }

    public override string ToString() => $"{Kind} on {InputShape}, seed {Seed}";

    /// <summary>A 0/1 mask: 1 where the draw is at least 0.5.</summary>
    private static Tensor Half(Tensor u) => Tensor.FromSpan(u.ToFloat64Array().Select(v => v >= 0.5 ? 1.0 : 0.0).ToArray(), u.Shape);
}

public static class LayerArbitraries
{
    public static readonly string[] Kinds =
        ["linear", "chain", "dropout", "batchnorm", "batchnorm_3d", "layernorm", "layernorm_plain", "flatten", "residual", "parallel_concat", "parallel_sum", "masked", "lora", "lowrank", "sigmoid", "logsoftmax"];

    /// <summary>Leading axes: a batch (mostly), an empty batch, or two axes (N-D input); flatten and batch norm keep to their ranks.</summary>
    public static Arbitrary<LayerCase> Cases() =>
        (from kind in Gen.Elements(Kinds)
         from leading in kind is "flatten" or "batchnorm" or "batchnorm_3d"
             ? Gen.Elements(2, 3, 5, 1, 0).Select(n => new[] { n })
             : Gen.Frequency(
                 (5, Gen.Elements(1, 2, 3, 5).Select(n => new[] { n })),
                 (1, Gen.Constant(new[] { 0 })),
                 (2, from a in Gen.Elements(0, 1, 2, 3) from b in Gen.Elements(1, 2, 3) select new[] { a, b }))
         from features in Gen.Elements(1, 2, 3, 4)
         from seed in Gen.Choose(0, int.MaxValue)
         select new LayerCase(kind, leading, features, seed)).ToArbitrary();
}
