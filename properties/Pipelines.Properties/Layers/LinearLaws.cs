using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Autodiff;
using Pipelines.Kernels;
using Pipelines.Kernels.Threading;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

[Properties(Arbitrary = [typeof(Arbitraries)], MaxTest = 200)]
public sealed class LinearLaws
{
    /// <summary>At least three threads, so the big cases run the GEMM's threaded path even on a one-core machine; results never depend on it.</summary>
    static LinearLaws() => ThreadBudget.MaxThreads = Math.Max(3, Environment.ProcessorCount);

    [Property]
    public Property Output_shape_is_the_input_shape_with_out_as_last_axis(LinearCase c)
    {
        var y = c.Layer().Forward(c.Input());
        return (y.Shape == new Shape([.. c.Leading, c.Out])).Label($"{c}: got {y.Shape}");
    }

    /// <summary>L(x₁ + x₂) = L(x₁) + L(x₂) − b within float32 rounding of the length-K sums (a bound linear in |x|·|W|).</summary>
    [Property]
    public Property Affine_L_of_a_sum_is_the_sum_of_L_minus_the_bias(LinearCase c)
    {
        var layer = c.Layer();
        var (x1, x2) = (c.Input(0), c.Input(1));
        var bias = layer.Bias ?? Tensor.Zeros(new Shape(c.Out));
        var left = layer.Forward(x1 + x2).ToFloat64Array();
        var right = (layer.Forward(x1) + layer.Forward(x2) - bias).ToFloat64Array();
        var scale = (new Linear(layer.Weight.Abs()).Forward(x1.Abs() + x2.Abs()) + bias.Abs()).ToFloat64Array();
        var gamma = (c.In + 3) * Math.Pow(2, -24);
        return left.Select((l, i) => Math.Abs(l - right[i]) <= 4 * gamma * scale[i]).All(ok => ok).Label(c.ToString());
    }

    [Property]
    public Property Rank_invariant_N_D_equals_the_reshaped_2_D_result_bitwise(LinearCase c)
    {
        var layer = c.Layer();
        var x = c.Input();
        var flat = layer.Forward(x.Reshape(x.Shape.LeadingCount, c.In));
        return layer.Forward(x).Reshape(flat.Shape).BitwiseEquals(flat).Label(c.ToString());
    }

    /// <summary>Row i of a batch equals the layer on row i alone, bitwise, including batches the GEMM splits across threads.</summary>
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
        var wide = c with { DType = DType.Float64 };
        var first = wide.Layer();
        var hidden = Math.Abs(hiddenChoice % 9);
        var second = new Linear(Tensor.Normal(new Key(c.Seed).Fold(9), new Shape(hidden, c.Out), dtype: DType.Float64), Tensor.Normal(new Key(c.Seed).Fold(10), new Shape(hidden), dtype: DType.Float64));
        var b1 = first.Bias ?? Tensor.Zeros(new Shape(c.Out), DType.Float64);
        var fused = new Linear(Products.MatMul(second.Weight, first.Weight), second.Forward(b1));
        var x = wide.Input();
        return second.Forward(first.Forward(x)).AllClose(fused.Forward(x), 1e-12 * (c.In + c.Out + 1), 1e-12 * (c.In + c.Out + 1)).Label(c.ToString());
    }

    [Property]
    public Property Identity_weight_without_bias_is_the_identity(LinearCase c)
    {
        var identity = new Linear(Init.Eye(new Shape(c.In, c.In)));
        var x = c.Input();
        return identity.Forward(x).BitwiseEquals(x).Label(c.ToString());
    }

    /// <summary>dx, dW and db against float64 central differences, through <see cref="GradCheck"/>, on small cases of every rank.</summary>
    [Property(MaxTest = 60)]
    public Property Backward_matches_float64_central_differences(LinearCase c)
    {
        var small = c with { Leading = [.. c.Leading.Take(3).Select(d => Math.Min(d, 3))], In = Math.Min(c.In, 7), Out = Math.Min(c.Out, 7), DType = DType.Float64 };
        var report = GradCheck.Layer(small.Layer(), small.Input());
        return report.Passed.Label($"{small}: {report}");
    }
}
