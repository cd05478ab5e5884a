using Pipelines.Dataflow;
using Pipelines.Tensors;
using ScottPlot;

namespace Pipelines.Examples;

/// <summary>PNG files made with ScottPlot: training curves, image grids, heat maps, histograms and per-layer bars.</summary>
public static class Plots
{
    /// <summary>
    /// Training loss and, when evaluated more than once, test loss and accuracy per epoch (accuracy on the right axis; a
    /// single evaluation is no curve, and its value is in the command's output).
    /// </summary>
    public static string Curves(IReadOnlyList<TrainingReport> reports, string path, string title)
    {
        var plot = new Plot();
        var epochs = reports.OfType<EpochReport>().ToList();
        var train = plot.Add.Scatter(epochs.Select(e => (double)(e.Epoch + 1)).ToArray(), epochs.Select(e => e.Metrics["loss"]).ToArray());
        train.LegendText = "training loss";
        var evaluations = reports.OfType<EvaluationReport>().ToList();
        if (evaluations.Count > 1)
        {
            var test = plot.Add.Scatter(evaluations.Select(e => (double)(e.Epoch + 1)).ToArray(), evaluations.Select(e => e.Metrics["loss"]).ToArray());
            test.LegendText = "test loss";
            if (evaluations[0].Metrics.ContainsKey("accuracy"))
            {
                var accuracy = plot.Add.Scatter(evaluations.Select(e => (double)(e.Epoch + 1)).ToArray(), evaluations.Select(e => e.Metrics["accuracy"]).ToArray());
                accuracy.LegendText = "test accuracy";
                accuracy.Axes.YAxis = plot.Axes.Right;
                plot.Axes.Right.Label.Text = "accuracy";
            }
        }
        plot.Title(title);
        plot.XLabel("epoch");
        // Epochs are whole: a short run would otherwise get ticks at 1.1, 1.2, ….
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.YLabel("loss");
        // Losses fall towards the lower right and accuracy rises to the upper right: the middle of the right edge stays clear.
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(path, 900, 550);
        return path;
    }

    /// <summary>A grid of grey images (rows of <paramref name="side"/>×<paramref name="side"/> pixels in [0, 1]), as a heat map.</summary>
    public static string ImageGrid(Tensor images, int side, int columns, string path, string title)
    {
        var values = images.To(DType.Float64).ToFloat64Array();
        var count = images.Shape[0];
        var rows = (count + columns - 1) / columns;
        var grid = new double[rows * (side + 1), columns * (side + 1)];
        for (var i = 0; i < count; i++)
        {
            var (r0, c0) = (i / columns * (side + 1), i % columns * (side + 1));
            for (var y = 0; y < side; y++)
            {
                for (var x = 0; x < side; x++)
                    grid[r0 + y, c0 + x] = Math.Clamp(values[(i * side * side) + (y * side) + x], 0, 1);
            }
        }
        var plot = new Plot();
        var map = plot.Add.Heatmap(grid);
        map.Colormap = new ScottPlot.Colormaps.Grayscale();
        plot.Axes.Frameless();
        plot.Title(title);
        plot.SavePng(path, Math.Max(columns * 60, 720), (rows * 60) + 40);
        return path;
    }

    /// <summary>A matrix as a heat map with a colour bar.</summary>
    public static string HeatMap(double[,] values, string path, string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        var map = plot.Add.Heatmap(values);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(map);
        // The cells fill the axes: the default margins left empty bands beyond the first and last rows and columns.
        plot.Axes.Margins(0, 0);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.SavePng(path, 900, 600);
        return path;
    }

    /// <summary>A histogram of values.</summary>
    public static string Histogram(double[] values, int bins, string path, string title, string xLabel)
    {
        var plot = new Plot();
        var histogram = ScottPlot.Statistics.Histogram.WithBinCount(bins, values);
        var bars = plot.Add.Bars(histogram.Bins, histogram.Counts);
        foreach (var bar in bars.Bars)
            bar.Size = histogram.FirstBinSize * 0.9;
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("count");
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(path, 900, 550);
        return path;
    }

    /// <summary>
    /// One line per series over a shared x axis (gradient norms per layer, losses per epoch), log scale optional; up to
    /// 20 points are labelled one by one, more get the axis's own ticks.
    /// </summary>
    public static string Lines(string[] labels, double[][] series, string[] seriesNames, string path, string title, string xLabel, string yLabel, bool logScale)
    {
        var plot = new Plot();
        var xs = Enumerable.Range(1, labels.Length).Select(i => (double)i).ToArray();
        for (var s = 0; s < series.Length; s++)
        {
            var ys = logScale ? series[s].Select(v => Math.Log10(Math.Max(v, 1e-30))).ToArray() : series[s];
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = seriesNames[s];
        }
        if (labels.Length <= 20)
            plot.Axes.Bottom.SetTicks(xs, labels);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(logScale ? $"log10 {yLabel}" : yLabel);
        // Both uses start low on the left (gradient norms near the input, losses in the first epochs).
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 900, 550);
        return path;
    }
}
