using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;
using static LanguageExt.Prelude;

namespace Pipelines.Properties.Layers;

[Properties(Arbitrary = [typeof(Arbitraries)], MaxTest = 200)]
public sealed class LinearLaws
{
    [Property]
    public Property Output_shape_is_the_input_shape_with_out_as_last_axis(LinearCase c)
    {
        var y = c.Layer().Forward(c.Input());
        return (y.Shape == new Shape([.. c.Leading, c.Out])).Label($"got {y.Shape}");
    }

    [Property]
    public Property Affine_L_of_a_sum_is_the_sum_of_L_minus_the_bias(LinearCase c)
    {
        var layer = c.Layer();
        var (x1, x2) = (c.Input(0), c.Input(1));
        var bias = layer.Bias.Match(b => b, () => Tensor.Zeros(new Shape(c.Out)));
        var left = layer.Forward(x1 + x2);
        var right = layer.Forward(x1) + layer.Forward(x2) - bias;
        return Close(left, right, 1e-5 * Math.Sqrt(c.In + 1) * 8).Label(c.ToString());
    }

    [Property]
    public Property Rank_invariant_N_D_equals_the_reshaped_2_D_result_bitwise(LinearCase c)
    {
        var layer = c.Layer();
        var x = c.Input();
        var flat = layer.Forward(x.Reshape(x.Shape.LeadingCount, c.In));
        return layer.Forward(x).Reshape(flat.Shape).BitwiseEquals(flat).Label(c.ToString());
    }

    [Property]
    public Property Batch_invariant_each_row_equals_the_layer_on_that_row_alone_bitwise(LinearCase c)
    {
        var layer = c.Layer();
        var x = c.Input();
        x = x.Reshape(x.Shape.LeadingCount, c.In);
        var batch = layer.Forward(x);
        var everyRow = Enumerable.Range(0, x.Shape[0]).All(i =>
            layer.Forward(x[i]).BitwiseEquals(batch[i]) && layer.Forward(x[i..(i + 1)]).BitwiseEquals(batch[i..(i + 1)]));
        return everyRow.Label(c.ToString());
    }

    [Property]
    public Property Fusion_two_layers_equal_one_with_W2W1_and_W2b1_plus_b2(LinearCase c, int hiddenChoice)
    {
        var first = (c with { DType = DType.Float64 }).Layer();
        var hidden = Math.Abs(hiddenChoice % 9);
        var second = new Linear(Tensor.Normal(new Key(c.Seed).Fold(9), new Shape(hidden, c.Out), dtype: DType.Float64), Some(Tensor.Normal(new Key(c.Seed).Fold(10), new Shape(hidden), dtype: DType.Float64)));
        var b1 = first.Bias.Match(b => b, () => Tensor.Zeros(new Shape(c.Out), DType.Float64));
        var fusedBias = second.Forward(b1);
        var fused = new Linear(Products.MatMul(second.Weight, first.Weight), Some(fusedBias));
        var x = (c with { DType = DType.Float64 }).Input();
        return Close(second.Forward(first.Forward(x)), fused.Forward(x), 1e-12 * (c.In + c.Out + 1)).Label(c.ToString());
    }

    [Property]
    public Property Identity_weight_without_bias_is_the_identity(LinearCase c)
    {
        var identity = new Linear(Init.Eye(new Shape(c.In, c.In)));
        var x = c.Input();
        return identity.Forward(x).BitwiseEquals(x).Label(c.ToString());
    }

    [Property(MaxTest = 60)]
    public Property Backward_matches_float64_central_differences(LinearCase c)
    {
        var small = c with { Leading = [.. c.Leading.Take(2).Select(d => Math.Min(d, 3))], In = Math.Min(c.In, 7), Out = Math.Min(c.Out, 7), DType = DType.Float64 };
        var layer = small.Layer();
        var x = small.Input();
        var dy = Tensor.Normal(new Key(small.Seed).Fold(11), new Shape([.. small.Leading, small.Out]), dtype: DType.Float64);
        var (dx, gradient) = layer.Backward(x, dy);
        double Loss(Linear l, Tensor input) => (l.Forward(input) * dy).Sum().Item();
        var ok = MatchesDifferences(dx, v => Loss(layer, v), x)
            && MatchesDifferences(gradient.Weight, w => Loss(new Linear(w, layer.Bias), x), layer.Weight)
            && gradient.Bias.Match(db => MatchesDifferences(db, b => Loss(new Linear(layer.Weight, Some(b)), x), layer.Bias.IfNone(() => throw new InvalidOperationException())), () => layer.Bias.IsNone);
        return ok.Label(small.ToString());
    }

    /// <summary>Each element of an analytic gradient against (f(p + h) − f(p − h)) / 2h, in float64.</summary>
    private static bool MatchesDifferences(Tensor analytic, Func<Tensor, double> f, Tensor point)
    {
        const double h = 1e-6;
        var values = point.ToFloat64Array();
        var gradient = analytic.ToFloat64Array();
        for (var i = 0; i < values.Length; i++)
        {
            var plus = (double[])values.Clone();
            var minus = (double[])values.Clone();
            plus[i] += h;
            minus[i] -= h;
            var numeric = (f(Tensor.FromSpan(plus, point.Shape)) - f(Tensor.FromSpan(minus, point.Shape))) / (2 * h);
            if (Math.Abs(numeric - gradient[i]) > 1e-6 * (1 + Math.Abs(numeric)))
                return false;
        }
        return true;
    }

    private static bool Close(Tensor a, Tensor b, double tolerance)
    {
        if (a.Shape != b.Shape)
            return false;
        var x = a.ToFloat64Array();
        var y = b.ToFloat64Array();
        return x.Zip(y, (p, q) => Math.Abs(p - q) <= tolerance * (1 + Math.Abs(p))).All(ok => ok);
    }
}
