using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Autodiff;
using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

/// <summary>A layer whose forward is one expression of its input and (optionally) one parameter: how each operation's derived backward is checked.</summary>
public sealed record Expression(string Name, Tensor? P, Func<Variable, Variable?, Tape, Variable> Body) : DerivedLayer
{
    public override LayerParts Parts => P is null ? LayerParts.Empty : new() { Parameters = [("p", P)] };

    protected override Layer Rebuild(LayerParts parts) => P is null ? this : this with { P = parts.Parameter("p") };

    protected override Variable Forward(Variable x, Tape tape) => Body(x, P is null ? null : tape.Parameter(P), tape);

    public override string ToString() => Name;
}

/// <summary>Where an operand's values lie: anywhere, at least 0.5 (logarithms, roots, divisors), or at least 0.1 from 0 (kinks at 0).</summary>
public enum Domain
{
    Any,
    Positive,
    AwayFromZero,
}

/// <summary>One operation applied to an input of <see cref="X"/>'s shape and, for binary operations, a parameter.</summary>
public sealed record DerivedCase(string Name, int[] X, int[]? P, Domain XDomain, Domain PDomain, Func<Variable, Variable?, Tape, Variable> Body, int Seed)
{
    public Expression Layer() => new(Name, P is null ? null : Values(new Shape(P), PDomain, 1), Body);

    public Tensor Input(ulong stream = 0) => Values(new Shape(X), XDomain, 2 + stream);

    public override string ToString() => $"{Name} on x {Shape.Format(X)}{(P is null ? string.Empty : $", p {Shape.Format(P)}")}, seed {Seed}";

    private Tensor Values(Shape shape, Domain domain, ulong stream)
    {
        var draws = Tensor.Normal(new Key((ulong)Seed).Fold(stream), shape, dtype: DType.Float64).ToFloat64Array();
        draws = domain switch
        {
            Domain.Positive => [.. draws.Select(v => 0.5 + Math.Abs(v))],
            Domain.AwayFromZero => [.. draws.Select(v => v + Math.CopySign(0.1, v))],
            _ => draws,
        };
        return Tensor.FromSpan(draws, shape);
    }
}

public static class DerivedArbitraries
{
    private static readonly int[] Extents = [1, 2, 3, 4];
    private static readonly int[] ExtentsWithEmpty = [0, 1, 2, 3, 4];

    public static Arbitrary<DerivedCase> Cases() => Gen.OneOf(
        Binary("add", (x, p) => x + p),
        Binary("subtract", (x, p) => x - p),
        Binary("multiply", (x, p) => x * p),
        Binary("divide", (x, p) => x / p, pDomain: Domain.Positive),
        Binary("divide_input", (x, p) => p / x, xDomain: Domain.Positive),
        Binary("maximum", Variable.Maximum),
        Binary("minimum", Variable.Minimum),
        Binary("where", (x, p) => Variable.Where(Mask(x.Shape), x, p)),
        Unary("scalars_on_either_side", x => (1 - x) * 3 + (2 / (x.Square() + 1)) - 0.5),
        Unary("negate", x => -x),
        Unary("exp", x => x.Exp()),
        Unary("log", x => x.Log(), Domain.Positive),
        Unary("sqrt", x => x.Sqrt(), Domain.Positive),
        Unary("pow_3", x => x.Pow(3)),
        Unary("pow_half", x => x.Pow(0.5), Domain.Positive),
        Unary("abs", x => x.Abs(), Domain.AwayFromZero),
        Unary("clamp", x => x.Clamp(-0.55, 0.45)),
        Unary("masked_fill", x => x.MaskedFill(Mask(x.Shape), 3)),
        Unary("sigmoid", x => x.Sigmoid()),
        Unary("tanh", x => x.Tanh()),
        Unary("relu", x => x.Relu(), Domain.AwayFromZero),
        Unary("leaky_relu", x => x.LeakyRelu(0.2), Domain.AwayFromZero),
        Unary("gelu", x => x.Gelu()),
        Unary("gelu_tanh", x => x.Gelu(GeluApproximation.Tanh)),
        Unary("silu", x => x.Silu()),
        Unary("elu", x => x.Elu(), Domain.AwayFromZero),
        Unary("softplus", x => x.Softplus()),
        Unary("sum_all", x => x.Sum()),
        Unary("mean_all", x => x.Mean(), empty: false),
        AlongAxis("softmax", (x, axis, _) => x.Softmax(axis)),
        AlongAxis("log_softmax", (x, axis, _) => x.LogSoftmax(axis)),
        AlongAxis("logsumexp", (x, axis, keep) => x.LogSumExp(axis, keep)),
        AlongAxis("sum", (x, axis, keep) => x.Sum(axis, keep), empty: true),
        AlongAxis("mean", (x, axis, keep) => x.Mean(axis, keep)),
        AlongAxis("max", (x, axis, keep) => x.Max(axis, keep)),
        AlongAxis("min", (x, axis, keep) => x.Min(axis, keep)),
        AlongAxis("var", (x, axis, keep) => x.Var(axis, keep), minExtent: 2),
        AlongAxis("var_biased", (x, axis, keep) => x.Var(axis, keep, correction: 0)),
        Unary("reshape", x => x.Reshape(-1) * Weights(x.Value.Count)),
        Permutations(),
        Narrows(),
        Joins(),
        Products(),
        Linears(),
        Selections(),
        Unary("dropout", x => x, tape: (x, tape) => tape.Dropout(x, 0.3) * 2))
        .ToArbitrary();

    /// <summary>x and p of shapes that broadcast: p drops leading axes and has extent 1 along some, or the other way round.</summary>
    private static Gen<DerivedCase> Binary(string name, Func<Variable, Variable, Variable> op, Domain xDomain = Domain.Any, Domain pDomain = Domain.Any) =>
        from dims in Dims(0, 4, ExtentsWithEmpty)
        from partner in Partner(dims)
        from swap in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        select new DerivedCase(name, swap ? partner : dims, swap ? dims : partner, xDomain, pDomain, (x, p, _) => op(x, p!), seed);

    private static Gen<DerivedCase> Unary(string name, Func<Variable, Variable> op, Domain domain = Domain.Any, bool empty = true, Func<Variable, Tape, Variable>? tape = null) =>
        from dims in Dims(0, 4, empty ? ExtentsWithEmpty : Extents)
        from seed in Gen.Choose(0, int.MaxValue)
        select new DerivedCase(name, dims, null, domain, Domain.Any, (x, _, t) => tape is null ? op(x) : tape(x, t), seed);

    private static Gen<DerivedCase> AlongAxis(string name, Func<Variable, int, bool, Variable> op, bool empty = false, int minExtent = 1) =>
        from dims in Dims(1, 4, empty ? ExtentsWithEmpty : [.. Extents.Where(e => e >= minExtent)])
        from axis in Gen.Choose(-dims.Length, dims.Length - 1)
        from keep in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        select new DerivedCase($"{name}(axis={axis}, keepDim={keep})", dims, null, Domain.Any, Domain.Any, (x, _, _) => op(x, axis, keep), seed);

    private static Gen<DerivedCase> Permutations() =>
        from dims in Dims(1, 4, ExtentsWithEmpty)
        from keys in Gen.ArrayOf(Gen.Choose(0, 1000), dims.Length)
        from pair in Gen.Two(Gen.Choose(-dims.Length, dims.Length - 1))
        from seed in Gen.Choose(0, int.MaxValue)
        let order = Enumerable.Range(0, dims.Length).OrderBy(i => keys[i]).ThenBy(i => i).ToArray()
        select new DerivedCase($"permute [{string.Join(", ", order)}] then transpose({pair.Item1}, {pair.Item2})", dims, null, Domain.Any, Domain.Any, (x, _, _) => x.Permute(order).Transpose(pair.Item1, pair.Item2), seed);

    private static Gen<DerivedCase> Narrows() =>
        from dims in Dims(1, 4, Extents)
        from axis in Gen.Choose(0, dims.Length - 1)
        from start in Gen.Choose(0, dims[axis])
        from length in Gen.Choose(0, dims[axis] - start)
        from chunks in Gen.Choose(1, 4)
        from seed in Gen.Choose(0, int.MaxValue)
        select new DerivedCase(
            $"narrow(axis={axis}, {start}, {length}), chunk({chunks}) and split",
            dims,
            null,
            Domain.Any,
            Domain.Any,
            (x, _, _) =>
            {
                var pieces = x.Chunk(chunks, axis);
                var rejoined = Variable.Concat([.. pieces.Reverse().Select((c, i) => c * (i + 1))], axis);
                var split = x.Split([start, length, dims[axis] - start - length], axis);
                return Variable.Concat([rejoined, x.Narrow(axis, start, length).Square(), split[2] * 3, split[0]], axis);
            },
            seed);

    private static Gen<DerivedCase> Joins() =>
        from dims in Dims(1, 3, ExtentsWithEmpty)
        from axis in Gen.Choose(-dims.Length, dims.Length - 1)
        from stackAxis in Gen.Choose(0, dims.Length)
        from seed in Gen.Choose(0, int.MaxValue)
        select new DerivedCase(
            $"concat(axis={axis}) and stack(axis={stackAxis})",
            dims,
            dims,
            Domain.Any,
            Domain.Any,
            (x, p, _) => Variable.Concat([x, p!.Square(), x * p], axis).Sum(axis, keepDim: true) + Variable.Stack([x, p!, x.Exp()], stackAxis).Sum(stackAxis),
            seed);

    /// <summary>[..., m, k]·[..., k, n] with leading axes that broadcast, m, n or k of 0 or 1 included.</summary>
    private static Gen<DerivedCase> Products() =>
        from m in Gen.Elements(0, 1, 2, 3, 5)
        from k in Gen.Elements(0, 1, 2, 4, 7)
        from n in Gen.Elements(1, 2, 3, 6)
        from lead in Dims(0, 2, Extents)
        from partner in Partner(lead)
        from swap in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        select new DerivedCase("matmul", [.. swap ? partner : lead, m, k], [.. swap ? lead : partner, k, n], Domain.Any, Domain.Any, (x, p, _) => Variable.MatMul(x, p!), seed);

    /// <summary>The functional linear on [..., in] (1-D included) with a parameter [out, in]; the bias, when there is one, is the weight's first column.</summary>
    private static Gen<DerivedCase> Linears() =>
        from lead in Dims(0, 2, ExtentsWithEmpty)
        from features in Gen.Elements(1, 3, 5)
        from outputs in Gen.Elements(1, 2, 4)
        from bias in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        select new DerivedCase(
            $"linear{(bias ? " with bias" : string.Empty)}",
            [.. lead, features],
            [outputs, features],
            Domain.Any,
            Domain.Any,
            (x, p, _) => Variable.Linear(x, p!, bias ? p!.Narrow(1, 0, 1).Reshape(outputs) : null),
            seed);

    private static Gen<DerivedCase> Selections() =>
        from dims in Dims(1, 3, Extents)
        from axis in Gen.Choose(-dims.Length, dims.Length - 1)
        from picks in Gen.ArrayOf(Gen.Choose(0, 1000), 5)
        from seed in Gen.Choose(0, int.MaxValue)
        let extent = dims[axis < 0 ? axis + dims.Length : axis]
        let indices = Tensor.FromArray(picks.Select(i => (long)(i % extent)).ToArray(), picks.Length)
        let index = Tensor.FromSpan([.. Enumerable.Range(0, dims.Aggregate(1, (a, b) => a * b)).Select(i => (long)((i * 7 + seed) % extent))], new Shape(dims))
        select new DerivedCase(
            $"index_select(axis={axis}, [{string.Join(", ", indices.ToInt64Array())}]) and gather",
            dims,
            null,
            Domain.Any,
            Domain.Any,
            (x, _, _) => x.IndexSelect(axis, indices).Sum(axis) + (x.Gather(axis, index) * x).Sum(axis),
            seed);

    private static Gen<int[]> Dims(int minRank, int maxRank, int[] extents) =>
        from rank in Gen.Choose(minRank, maxRank)
        from dims in Gen.ArrayOf(Gen.Elements(extents), rank)
        select dims;

    private static Gen<int[]> Partner(int[] dims) =>
        from drop in Gen.Choose(0, dims.Length)
        from ones in Gen.ArrayOf(Gen.Elements(false, false, true), dims.Length - drop)
        select dims[drop..].Select((d, i) => ones[i] ? 1 : d).ToArray();

    private static Tensor Mask(Shape shape) =>
        Tensor.FromSpan([.. Enumerable.Range(0, shape.ElementCount).Select(i => (double)((i * 5 % 3) == 0 ? 1 : 0))], shape);

    private static Tensor Weights(int count) => Tensor.Arange(count, DType.Float64) + 1;
}

[Properties(Arbitrary = [typeof(DerivedArbitraries)], MaxTest = 2000)]
public sealed class DerivedGradientLaws
{
    /// <summary>Every operation's derived backward (input and parameter gradients) matches float64 central differences.</summary>
    [Property]
    public Property Derived_backward_matches_float64_central_differences(DerivedCase operation)
    {
        var report = GradCheck.Layer(operation.Layer(), operation.Input());
        return report.Passed.Label($"{operation}: {report}");
    }

    /// <summary>The derived backward is linear in dy.</summary>
    [Property]
    public Property Derived_backward_is_linear_in_dy(DerivedCase operation)
    {
        var layer = operation.Layer();
        var traced = layer.Forward(operation.Input(), ForwardContext.Training(new Key(3)));
        var shape = traced.Output.Shape;
        var (a, b) = (Tensor.Normal(new Key(1), shape, dtype: DType.Float64), Tensor.Normal(new Key(2), shape, dtype: DType.Float64));
        var (dxAb, gAb) = layer.Backward(traced.Trace, (a * 2) + (b * -3));
        var (dxA, gA) = layer.Backward(traced.Trace, a);
        var (dxB, gB) = layer.Backward(traced.Trace, b);
        var close = dxAb.AllClose((dxA * 2) + (dxB * -3), rtol: 1e-9, atol: 1e-9)
            && (gAb - ((2 * gA) + (-3 * gB))).GlobalNorm() <= 1e-9 * (1 + gAb.GlobalNorm());
        return close.Label(operation.ToString());
    }
}
