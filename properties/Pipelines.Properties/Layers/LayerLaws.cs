using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Autodiff;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

[Properties(Arbitrary = [typeof(LayerArbitraries)], MaxTest = 80)]
public sealed class LayerLaws
{
    private static readonly ForwardContext Training = ForwardContext.Training(new Key(7));

    [Property]
    public Property Backward_matches_float64_central_differences(LayerCase c) => Prop.When(c.Defined, () =>
    {
        var report = GradCheck.Layer(c.Build(), c.Input(), Training);
        return report.Passed.Label($"{c}: {report}");
    });

    /// <summary>The testing kit's law, on this suite's cases (one implementation of each law).</summary>
    [Property]
    public Property Backward_is_linear_in_dy(LayerCase c) => Prop.When(c.Defined, () =>
        Pipelines.Testing.LayerLaws.CheckBackwardIsLinear(c.Build(), c.Input()) is { } failure ? false.Label($"{c}: {failure}") : true.ToProperty());

    /// <summary>Every path a forward visits is a name in Parts: the testing kit's law, on this suite's cases.</summary>
    [Property]
    public Property Every_visited_path_is_a_part(LayerCase c) => Prop.When(c.Defined, () =>
        Pipelines.Testing.LayerLaws.CheckPathsAreParts(c.Build(), c.Input(), new Key((ulong)c.Seed)) is { } failure ? false.Label($"{c}: {failure}") : true.ToProperty());

    /// <summary>⟨dy, J·v⟩ = ⟨Jᵀ·dy, v⟩, with J·v by a central difference along v: the testing kit's law, on this suite's cases.</summary>
    [Property]
    public Property Adjoint_identity_holds(LayerCase c) => Prop.When(c.Defined, () =>
        Pipelines.Testing.LayerLaws.CheckAdjoint(c.Build(), c.Input(), c.Input(1)) is { } failure ? false.Label($"{c}: {failure}") : true.ToProperty());

    /// <summary>
    /// (f >> g) >> h = f >> (g >> h) as functions, for index-named chains (which flatten) and for nested chains that do
    /// not (constructed and named), compared on random inputs; the identity is neutral on either side.
    /// </summary>
    [Property]
    public Property Composition_is_associative_as_functions_and_identity_is_neutral(LayerCase c) => Prop.When(c.Defined, () =>
    {
        var (f, g, h) = (c.Build(), new Tanh() as Layer, new Linear(new Key(9), OutputWidth(c), 2, dtype: DType.Float64) as Layer);
        var x = c.Input();
        Tensor Apply(Layer layer) => layer.Forward(x);
        var flat = Apply((f >> g) >> h);
        var nestedLeft = Apply(new Chain(new Chain(f, g), h));
        var nestedRight = Apply(new Chain(f, new Chain(g, h)));
        var namedLeft = Apply(Chain.Named(("a", Chain.Named(("f", f), ("g", g))), ("h", h)));
        var namedRight = Apply(Chain.Named(("f", f), ("b", Chain.Named(("g", g), ("h", h)))));
        var direct = h.Forward(g.Forward(f.Forward(x)));
        var neutral = Apply(new Identity() >> f >> new Identity()).BitwiseEquals(Apply(f));
        return (new[] { flat, nestedLeft, nestedRight, namedLeft, namedRight }.All(y => y.BitwiseEquals(direct)) && neutral).Label(c.ToString());
    });

    [Property]
    public Property Models_and_gradients_form_a_vector_space(LayerCase c)
    {
        var a = c.Build();
        var b = (c with { Seed = c.Seed + 1 }).Build();
        var d = (c with { Seed = c.Seed + 2 }).Build();
        var laws = new (string Law, string? Difference)[]
        {
            ("(a + b) + d = a + (b + d)", Compare.ParametersClose((a + b) + d, a + (b + d), 1e-12)),
            ("a + b = b + a", Compare.ParametersBitwise(a + b, b + a)),
            ("a + 0 = a", Compare.ParametersBitwise(a + a.ZerosLike(), a)),
            ("2(a + b) = 2a + 2b", Compare.ParametersClose(2 * (a + b), (2 * a) + (2 * b), 1e-12)),
            ("a − a = 0", Compare.ParametersBitwise(a - a, a.ZerosLike())),
        };
        var failed = laws.FirstOrDefault(l => l.Difference is not null);
        return (failed.Law is null).Label($"{c}: {failed.Law}: {failed.Difference}");
    }

    [Property]
    public Property Applying_zero_updates_changes_nothing_bitwise(LayerCase c)
    {
        var model = c.Build();
        var difference = Compare.ParametersBitwise(Gradients.ApplyUpdates(model, model.ZerosLike()), model);
        return (difference is null).Label($"{c}: {difference}");
    }

    /// <summary>Row i of a batch (in evaluation) equals the layer on that row alone, bitwise, for layers without batch statistics.</summary>
    [Property]
    public Property Rows_of_a_batch_equal_the_rows_alone_bitwise(LayerCase c) => Prop.When(c.RowWise && c.Leading.Length == 1 && c.Leading[0] > 0, () =>
    {
        var layer = c.Build();
        var x = c.Input();
        var batch = layer.Forward(x);
        return Enumerable.Range(0, x.Shape[0]).All(i => layer.Forward(x[i..(i + 1)]).BitwiseEquals(batch[i..(i + 1)])).Label(c.ToString());
    });

    /// <summary>With a sum-reduced loss and no batch statistics, the gradient of a batch is the sum over any split of it.</summary>
    [Property]
    public Property A_batch_gradient_is_the_sum_of_its_micro_batches(LayerCase c, PositiveInt splitChoice) =>
        Prop.When(c.RowWise && c.Kind != "dropout" && c.Leading.Length == 1 && c.Leading[0] >= 2, () =>
        {
            var model = c.Build();
            var x = c.Input();
            LossValue Loss(Tensor y) => Pipelines.Losses.Loss.MeanSquaredError(y, Tensor.Ones(y.Shape, y.DType), Reduction.Sum);
            var split = 1 + (splitChoice.Get % (c.Leading[0] - 1));
            var whole = Gradients.ValueAndGrad(model, x, Loss, Training).Gradient;
            var parts = Gradients.ValueAndGrad(model, x[..split], Loss, Training).Gradient + Gradients.ValueAndGrad(model, x[split..], Loss, Training).Gradient;
            var difference = Compare.ParametersClose(whole, parts, 1e-10);
            return (difference is null).Label($"{c} split at {split}: {difference}");
        });

    /// <summary>A layer used twice gets, at both positions, the sum of the gradients of its two uses.</summary>
    [Property]
    public Property Weight_sharing_sums_the_gradients_of_every_use(LayerCase c) => Prop.When(c.Leading.Length == 1, () =>
    {
        var shared = new Linear(new Key((ulong)c.Seed), c.Features, c.Features, dtype: DType.Float64);
        var copy = (Linear)shared.MapParameters((_, p) => p * 1.0);
        LossValue Loss(Tensor y) => Pipelines.Losses.Loss.MeanSquaredError(y, Tensor.Zeros(y.Shape, y.DType), Reduction.Sum);
        var x = Tensor.Normal(new Key((ulong)c.Seed), new Shape([.. c.Leading, c.Features]), dtype: DType.Float64);
        var tied = Gradients.ValueAndGrad(shared >> new Tanh() >> shared, x, Loss, Training).Gradient.NamedParameters();
        var apart = Gradients.ValueAndGrad(shared >> new Tanh() >> copy, x, Loss, Training).Gradient.NamedParameters();
        return new[] { "weight", "bias" }.All(n =>
                tied[$"0.{n}"].AllClose(apart[$"0.{n}"] + apart[$"2.{n}"], 1e-12, 1e-12) && tied[$"2.{n}"].BitwiseEquals(tied[$"0.{n}"]))
            .Label(c.ToString());
    });

    private static int OutputWidth(LayerCase c) => c.Build().Forward(c.Input()).Shape.Last;
}
