using Pipelines.Autodiff;
using Pipelines.Diagnostics;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Diagnostics;

public sealed class DiagnosticsTests
{
    private static readonly Key[] Keys = new Key(1).Split(3);
    private static readonly Chain Mlp = new Linear(Keys[0], 784, 256) >> new ReLU() >> new Linear(Keys[1], 256, 128) >> new ReLU() >> new Linear(Keys[2], 128, 10);

    [Fact]
    public void The_summary_lists_every_layer_with_its_output_shape_and_parameters()
    {
        var summary = Summary.Of(Mlp, new Shape(32, 784));
        Assert.Equal(["(model)", "0", "1", "2", "3", "4"], summary.Rows.Select(r => r.Name));
        Assert.Equal(new Shape(32, 256), summary.Rows[1].OutputShape);
        Assert.Equal(new Shape(32, 10), summary.Rows[^1].OutputShape);
        Assert.Equal(785 * 256, summary.Rows[1].Parameters);
        Assert.Equal((785 * 256) + (257 * 128) + (129 * 10), summary.TotalParameters);
        Assert.Equal(summary.TotalParameters - (257 * 128), Summary.Of(Mlp, new Shape(1, 784), trainable: n => !n.StartsWith("2.", StringComparison.Ordinal)).TrainableParameters);
        Assert.Contains("Total parameters: 235,146", summary.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_rows_count_each_parameter_once_however_layers_nest()
    {
        var model = new LoRA(new Linear(new Key(7), 6, 4), rank: 2, new Key(8)) >> new Residual(new Linear(new Key(9), 4, 4));
        var summary = Summary.Of(model, new Shape(3, 6));
        Assert.Equal(summary.TotalParameters, summary.Rows.Sum(r => r.Parameters));
        Assert.Equal(0, summary.Rows.Single(r => r.Name == "0").Parameters);
        Assert.Equal(28, summary.Rows.Single(r => r.Name == "0.base").Parameters);
    }

    [Fact]
    public void Taps_see_every_named_layer_and_change_nothing()
    {
        var seen = new List<(string, Shape)>();
        var x = Tensor.Normal(new Key(2), new Shape(4, 784));
        var tapped = Mlp.Forward(x, ForwardContext.Evaluation with { Tap = (path, _, _, y) => seen.Add((path, y.Shape)) }).Output;
        Assert.True(tapped.BitwiseEquals(Mlp.Forward(x)));
        Assert.Equal(["0", "1", "2", "3", "4", ""], seen.Select(s => s.Item1));
        Assert.Equal(new Shape(4, 128), seen.Single(s => s.Item1 == "2").Item2);
    }

    [Fact]
    public void Gradient_statistics_report_spread_and_non_finite_counts()
    {
        var gradient = new Linear(Tensor.FromArray(new float[,] { { 1, -1 }, { float.NaN, float.PositiveInfinity } }));
        var stats = Assert.Single(GradientStatistics.Of(gradient));
        Assert.Equal(("weight", 0.0, 1.0, -1.0, 1.0, 1, 1), (stats.Name, stats.Mean, stats.Std, stats.Min, stats.Max, stats.NaNCount, stats.InfinityCount));
        Assert.Equal(Math.Sqrt(2), stats.Norm, 12);
    }

    [Fact]
    public void The_non_finite_guard_names_the_first_layer_that_overflowed()
    {
        var exploding = new Linear(Tensor.Full(new Shape(4, 4), 1e30)) >> new Linear(Tensor.Full(new Shape(4, 4), 1e30)) >> new Linear(new Key(4), 4, 2);
        var finding = NonFiniteGuard.Check(exploding, Tensor.Ones(new Shape(2, 4)), y => Loss.MeanSquaredError(y, Tensor.Zeros(y.Shape)), ForwardContext.Training(new Key(0)));
        Assert.NotNull(finding);
        Assert.Equal(("output", "1", "Linear"), (finding.Where, finding.Path, finding.LayerType));
        Assert.Null(NonFiniteGuard.Check(Mlp, Tensor.Ones(new Shape(2, 784)), y => Loss.MeanSquaredError(y, Tensor.Zeros(y.Shape)), ForwardContext.Training(new Key(0))));
    }

    [Fact]
    public void GradCheck_refuses_float32_and_reports_the_worst_element_by_name()
    {
        var layer = new Linear(new Key(5), 3, 2);
        Assert.Contains("float32 finite differences are too noisy", Assert.Throws<ArgumentException>(() => GradCheck.Layer(layer, Tensor.Ones(new Shape(2, 3)))).Message, StringComparison.Ordinal);
        var wide = (Linear)layer.MapParameters((_, p) => p.To(DType.Float64));
        var report = GradCheck.Layer(wide, Tensor.Normal(new Key(6), new Shape(2, 3), dtype: DType.Float64));
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(6 + 6 + 2, report.Checked);
        var wrong = GradCheck.Loss(x => Loss.MeanSquaredError(x, Tensor.Zeros(x.Shape, x.DType)) with { Gradient = x * 3 }, Tensor.Ones(new Shape(2), DType.Float64));
        Assert.False(wrong.Passed);
        Assert.Equal("input", wrong.Worst);
    }
}
