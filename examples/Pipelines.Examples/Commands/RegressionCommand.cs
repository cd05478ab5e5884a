using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>Diabetes progression: a linear output trained with MSE, R² on held-out rows against ordinary least squares on the same split.</summary>
public static class RegressionCommand
{
    public const string Description = "diabetes progression: MSE, R² on held-out rows against ordinary least squares";

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("regression", line);
        var epochs = line.Int("epochs", 100);
        var (trainX, trainY, testX, testY) = DataSets.Diabetes();
        var (mean, std) = (trainY.Mean().Item(), Math.Sqrt(((trainY - trainY.Mean().Item()) * (trainY - trainY.Mean().Item())).Mean().Item()));
        var scaled = (trainY - mean) / std;
        var keys = new Key(11).Split(2);
        var model = new Linear(keys[0], 10, 16) >> new ReLU() >> new Dropout(0.2) >> new Linear(keys[1], 16, 1);
        var trainer = new Trainer<Chain>(Optimizers.AdamW(1e-3, weightDecay: 1e-2), (y, t) => Loss.MeanSquaredError(y, t), new TrainerOptions { BatchSize = 32, Epochs = epochs });
        var (result, reports) = await TrainingProgress.Follow(trainer.Train(model, DataSource.FromTensors(trainX, scaled), new Key(12)), epochs, output);
        var mlp = Metric.RSquared.Measure((result.Model.Forward(testX) * std) + mean, testY);
        var ols = Metric.RSquared.Measure(Tensor.FromArray(LeastSquares(trainX, trainY, testX), testY.Shape[0], 1), testY);
        Plots.Curves(reports, output.File("regression-curves.png"), "Diabetes: training loss (standardised target) per epoch");
        output.Result(string.Create(CultureInfo.InvariantCulture, $"regression: held-out R² {mlp:F3} for the MLP, {ols:F3} for ordinary least squares ({testY.Shape[0]} patients)"));
        return 0;
    }

    /// <summary>Predictions of the least-squares fit with an intercept, by the normal equations in float64.</summary>
    public static double[] LeastSquares(Tensor x, Tensor y, Tensor at)
    {
        var (rows, columns) = (x.Shape[0], x.Shape[1] + 1);
        var (values, targets) = (x.ToFloat64Array(), y.ToFloat64Array());
        double Feature(double[] v, int r, int c, int width) => c == 0 ? 1 : v[(r * width) + c - 1];
        var system = new double[columns, columns + 1];
        for (var r = 0; r < rows; r++)
        {
            for (var i = 0; i < columns; i++)
            {
                for (var j = 0; j < columns; j++)
                    system[i, j] += Feature(values, r, i, columns - 1) * Feature(values, r, j, columns - 1);
                system[i, columns] += Feature(values, r, i, columns - 1) * targets[r];
            }
        }
        var beta = Solve(system, columns);
        var queries = at.ToFloat64Array();
        return [.. Enumerable.Range(0, at.Shape[0]).Select(r => Enumerable.Range(0, columns).Sum(c => beta[c] * Feature(queries, r, c, columns - 1)))];
    }

    private static double[] Solve(double[,] a, int n)
    {
        for (var p = 0; p < n; p++)
        {
            var pivot = Enumerable.Range(p, n - p).MaxBy(r => Math.Abs(a[r, p]));
            for (var c = 0; c <= n; c++)
                (a[p, c], a[pivot, c]) = (a[pivot, c], a[p, c]);
            for (var r = 0; r < n; r++)
            {
                if (r == p)
                    continue;
                var factor = a[r, p] / a[p, p];
                for (var c = p; c <= n; c++)
                    a[r, c] -= factor * a[p, c];
            }
        }
        return [.. Enumerable.Range(0, n).Select(i => a[i, n] / a[i, i])];
    }
}
