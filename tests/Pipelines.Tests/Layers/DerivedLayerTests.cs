using Pipelines.Autodiff;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Layers;

/// <summary>The test suite's hand-written <see cref="GatedUnit"/> written forward-only: the same children, their names generated from the properties, no trace, no backward.</summary>
public sealed partial record DerivedGatedUnit(Linear Value, Linear Gate, Dropout ValueDropout, Dropout GateDropout, FeatureScale Scale, BatchNorm1d Norm) : DerivedLayer
{
    public static DerivedGatedUnit From(GatedUnit unit) => new(unit.Value, unit.Gate, unit.ValueDropout, unit.GateDropout, unit.Scale, unit.Norm);

    protected override Variable Forward(Variable x, Tape tape)
    {
        var value = tape.Call(ValueDropout, tape.Call(Value, x));
        var open = tape.Call(GateDropout, tape.Call(Gate, x)).Sigmoid();
        return tape.Call(Norm, tape.Call(Scale, value * open));
    }
}

/// <summary>RMSNorm over the last axis, y = x / √(mean(x²) + ε) ⊙ w, written forward-only.</summary>
public sealed partial record RmsNorm(Tensor Weight, double Eps = 1e-6) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape) => x / ((x * x).Mean(-1, keepDim: true) + Eps).Sqrt() * tape.Parameter(Weight);
}

/// <summary>A layer that runs one child twice, and misuses of the tape that must fail with a message naming the layer.</summary>
public sealed record Twice(Linear Inner, BatchNorm1d Norm, int Misuse = 0) : DerivedLayer
{
    private static readonly Tensor Scale = Tensor.Ones(new Shape(1));

    public override LayerParts Parts => new() { Children = [("inner", Inner), ("norm", Norm)], Buffers = [("scale", Scale)] };

    protected override Layer Rebuild(LayerParts parts) => this with { Inner = parts.Child<Linear>("inner"), Norm = parts.Child<BatchNorm1d>("norm") };

    protected override Variable Forward(Variable x, Tape tape) => Misuse switch
    {
        1 => tape.Call(new Linear(new Key(1), 3, 3), x),
        2 => x * tape.Parameter(Inner.Weight),
        3 => x * tape.Parameter(Scale),
        4 => Variable.MatMul(x, Inner.Weight),
        _ => tape.Call(Norm, tape.Call(Inner, tape.Call(Norm, tape.Call(Inner, x)))),
    };
}

public sealed class DerivedLayerTests
{
    private static readonly GatedUnit Hand = GatedUnit.Create(new Key(2), 4, DType.Float64);

    /// <summary>
    /// The forward-only gated unit gives the hand-written one's bits: output, running statistics, input gradient and
    /// every parameter gradient, with the same dropout masks (the same paths draw the same keys).
    /// </summary>
    [Fact]
    public void A_forward_only_composite_gives_the_hand_written_ones_bits()
    {
        var derived = DerivedGatedUnit.From(Hand);
        var x = Tensor.Normal(new Key(3), new Shape(16, 4), dtype: DType.Float64);
        var dy = Tensor.Normal(new Key(4), new Shape(16, 4), dtype: DType.Float64);
        var context = ForwardContext.Training(new Key(5));
        var (hand, mine) = (Hand.Forward(x, context), derived.Forward(x, context));
        Assert.True(hand.Output.BitwiseEquals(mine.Output));
        var (handNext, mineNext) = (Hand.Forward(x, context).Next.NamedBuffers(), mine.Next.NamedBuffers());
        Assert.All(handNext.Names, name => Assert.True(handNext[name].BitwiseEquals(mineNext[name]), name));
        var (handDx, handGradient) = Hand.Backward(hand.Trace, dy);
        var (mineDx, mineGradient) = derived.Backward(mine.Trace, dy);
        Assert.True(handDx.BitwiseEquals(mineDx));
        Assert.IsType<DerivedGatedUnit>(mineGradient);
        var (expected, actual) = (handGradient.NamedParameters(), mineGradient.NamedParameters());
        Assert.Equal(expected.Names, actual.Names);
        Assert.All(expected.Names, name => Assert.True(expected[name].BitwiseEquals(actual[name]), name));
    }

    [Fact]
    public void A_forward_only_composite_passes_gradient_checks_and_its_paths_are_its_parts_names()
    {
        var derived = DerivedGatedUnit.From(Hand);
        var x = Tensor.Normal(new Key(6), new Shape(6, 4), dtype: DType.Float64);
        var report = GradCheck.Layer(derived, x, ForwardContext.Training(new Key(7)));
        Assert.True(report.Passed, report.ToString());
        var paths = new List<string>();
        derived.Forward(x, ForwardContext.Evaluation with { Path = "unit", Tap = (path, _, _, _) => paths.Add(path) });
        Assert.Equal(["unit.value", "unit.value_dropout", "unit.gate", "unit.gate_dropout", "unit.scale", "unit.norm", "unit"], paths);
    }

    [Fact]
    public void RMSNorm_in_one_line_matches_its_formula_and_central_differences()
    {
        var norm = new RmsNorm(Tensor.Normal(new Key(8), new Shape(5), dtype: DType.Float64));
        var x = Tensor.Normal(new Key(9), new Shape(3, 2, 5), dtype: DType.Float64);
        var y = norm.Forward(x).ToFloat64Array();
        var (xs, w) = (x.ToFloat64Array(), norm.Weight.ToFloat64Array());
        for (var row = 0; row < 6; row++)
        {
            var rms = Math.Sqrt((xs.Skip(row * 5).Take(5).Sum(v => v * v) / 5) + 1e-6);
            for (var j = 0; j < 5; j++)
                Assert.Equal(xs[(row * 5) + j] / rms * w[j], y[(row * 5) + j], 1e-12);
        }
        var report = GradCheck.Layer(norm, x);
        Assert.True(report.Passed, report.ToString());
    }

    /// <summary>
    /// A child run twice sees the state its first run left, as in PyTorch (batch normalisation counts two batches), and
    /// its gradient is the sum of both runs'; the first layer's backward without an input gradient gives the same parameter gradients.
    /// </summary>
    [Fact]
    public void A_child_run_twice_carries_its_state_and_sums_its_gradients()
    {
        var twice = new Twice(new Linear(new Key(10), 3, 3, dtype: DType.Float64), new BatchNorm1d(3, dtype: DType.Float64));
        var x = Tensor.Normal(new Key(11), new Shape(8, 3), dtype: DType.Float64);
        var traced = twice.Forward(x, ForwardContext.Training(new Key(12)));
        Assert.Equal(2, ((Twice)traced.Next).Norm.NumBatchesTracked!.Item<long>());
        var report = GradCheck.Layer(twice, x, ForwardContext.Evaluation);
        Assert.True(report.Passed, report.ToString());
        var dy = Tensor.Normal(new Key(13), traced.Output.Shape, dtype: DType.Float64);
        var with = twice.Backward(traced.Trace, dy, inputGradient: true);
        var without = twice.Backward(traced.Trace, dy, inputGradient: false);
        Assert.Null(without.Dx);
        Assert.True((with.Gradient - without.Gradient).GlobalNorm() == 0);
    }

    [Fact]
    public void Misusing_the_tape_is_an_error_naming_the_layer_and_what_it_lists()
    {
        var x = Tensor.Ones(new Shape(2, 3));
        Layer Misuse(int kind) => new Chain([new Identity(), new Twice(new Linear(new Key(14), 3, 3), new BatchNorm1d(3), kind)]);
        Assert.Equal(
            "Twice '1' called a Linear that is not one of its children; Parts lists: inner, norm. (Parameter 'child')",
            Assert.Throws<ArgumentException>(() => Misuse(1).Forward(x)).Message);
        Assert.StartsWith("Twice '1' asked for a [3, 3] tensor that is not one of its parameters; Parts lists: (none).", Assert.Throws<ArgumentException>(() => Misuse(2).Forward(x)).Message, StringComparison.Ordinal);
        Assert.StartsWith("Twice '1' asked for its buffer 'scale' as a parameter", Assert.Throws<ArgumentException>(() => Misuse(3).Forward(x)).Message, StringComparison.Ordinal);
        Assert.Equal(
            "Twice '1' used the parameter 'inner.weight' as a plain tensor, so it would get no gradient; read it with tape.Parameter(...) (a child's parameter through the child, tape.Call).",
            Assert.Throws<InvalidOperationException>(() => Misuse(4).Forward(x)).Message);
        var notPartial = new NotPartial(new Linear(new Key(15), 3, 3));
        Assert.Contains("Parts lists: (none). A layer lists its parts in Parts: declare NotPartial as a partial record", Assert.Throws<ArgumentException>(() => notPartial.Forward(x)).Message, StringComparison.Ordinal);
    }

    /// <summary>An operation's error inside a forward-only layer names the layer; a child's error passes unchanged, naming the child.</summary>
    [Fact]
    public void An_operations_error_names_the_layer_and_a_childs_names_the_child()
    {
        var model = new Chain([new Identity(), new RmsNorm(Tensor.Ones(new Shape(4)))]);
        Assert.Equal(
            "RmsNorm '1' forward: Cannot multiply tensors: Shapes [2, 3] and [4] cannot be broadcast together: axis -1 has extents 3 and 4.",
            Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Ones(new Shape(2, 3)))).Message);
        var unit = DerivedGatedUnit.From(Hand);
        Assert.StartsWith("Linear 'value' expects input [..., 4]", Assert.Throws<ArgumentException>(() => unit.Forward(Tensor.Ones(new Shape(2, 3), DType.Float64))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_variable_of_another_pass_is_refused()
    {
        Variable? leaked = null;
        var first = new Expression(x => leaked = x.Exp());
        first.Forward(Tensor.Ones(new Shape(2)));
        var second = new Expression(x => x + leaked!);
        Assert.Contains("used a variable of another layer's pass", Assert.Throws<InvalidOperationException>(() => second.Forward(Tensor.Ones(new Shape(2)))).Message, StringComparison.Ordinal);
    }

    /// <summary>At ties, maximum and minimum give each side half the gradient, and max along an axis gives it to the first of equal maxima, as PyTorch does.</summary>
    [Fact]
    public void Ties_share_the_gradient_as_PyTorch_does()
    {
        var x = Tensor.FromArray([1.0, 2, 2, 3], 4);
        var other = new Expression(v => Variable.Maximum(v, Tensor.FromArray([1.0, 1, 2, 4], 4)) + Variable.Minimum(v, Tensor.FromArray([1.0, 5, 2, 0], 4)));
        var (dx, _) = other.Backward(other.Forward(x, ForwardContext.Evaluation).Trace, Tensor.Ones(new Shape(4), DType.Float64));
        Assert.Equal([1.0, 2, 1, 0], dx.ToFloat64Array());
        var max = new Expression(v => v.Max(0));
        var (dMax, _) = max.Backward(max.Forward(Tensor.FromArray([3.0, 1, 3], 3), ForwardContext.Evaluation).Trace, Tensor.Scalar(1, DType.Float64));
        Assert.Equal([1.0, 0, 0], dMax.ToFloat64Array());
    }

    [Fact]
    public void Dropout_on_the_tape_draws_from_the_layers_key_and_is_the_identity_in_evaluation()
    {
        var drop = new Expression((x, tape) => Variable.Concat([tape.Dropout(x, 0.5), tape.Dropout(x, 0.5)], 0));
        var x = Tensor.Ones(new Shape(64));
        var context = ForwardContext.Training(new Key(15)) with { Path = "a" };
        var y = drop.Forward(x, context).Output;
        Assert.True(y.BitwiseEquals(drop.Forward(x, context).Output));
        Assert.False(y[..64].BitwiseEquals(y[64..]));
        Assert.False(y.BitwiseEquals(drop.Forward(x, context with { Path = "b" }).Output));
        Assert.True(drop.Forward(x).BitwiseEquals(Tensor.Concat([x, x], 0)));
    }

    /// <summary>A layer whose record is not partial, so no Parts are generated for it.</summary>
    private sealed record NotPartial(Linear Inner) : DerivedLayer
    {
        protected override Variable Forward(Variable x, Tape tape) => tape.Call(Inner, x);
    }

    /// <summary>A parameter-free expression layer for tests.</summary>
    private sealed record Expression(Func<Variable, Tape, Variable> Body) : DerivedLayer
    {
        public Expression(Func<Variable, Variable> body)
            : this((x, _) => body(x))
        {
        }

        protected override Variable Forward(Variable x, Tape tape) => Body(x, tape);
    }
}
