using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Diagnostics;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>Looking inside a trained model: its summary, forward taps on named layers, the first layer's weights as a heat map and an activation histogram.</summary>
public static class InspectCommand
{
    public const string Description = "the summary table, forward taps, a weight heat map and an activation histogram (PNGs)";

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("inspect", line);
        var epochs = line.Int("epochs", 30);
        var (trainX, trainY, testX, _) = DataSets.Digits();
        var k = new Key(51).Split(2);
        var model = new Linear(k[0], 64, 32) >> new ReLU() >> new Linear(k[1], 32, 10);
        output.Line(Summary.Of(model, new Shape(32, 64)).ToString());
        var trainer = new Trainer<Chain>(Optimizers.AdamW(2e-3), (y, t) => Loss.CrossEntropy(y, t), new TrainerOptions { BatchSize = 32, Epochs = epochs });
        var (result, _) = await TrainingProgress.Follow(trainer.Train(model, DataSource.FromTensors(trainX, trainY), new Key(52)), epochs, output);
        var trained = result.Model;

        var taps = new List<(string Path, string Layer, Shape Shape, double Mean, double Std, double Zeros)>();
        var context = ForwardContext.Evaluation with
        {
            Tap = (path, layer, _, y) =>
            {
                var values = y.ToFloat64Array();
                var mean = values.Average();
                taps.Add((path, layer.GetType().Name, y.Shape, mean, Math.Sqrt(values.Average(v => (v - mean) * (v - mean))), values.Count(v => v == 0) / (double)values.Length));
            },
        };
        trained.Forward(testX, context);
        output.Table("Forward taps on the test set", ["path", "layer", "output", "mean", "std", "zeros"], taps.Select(t => (IReadOnlyList<string>)[t.Path.Length == 0 ? "(model)" : t.Path, t.Layer, t.Shape.ToString(), t.Mean.ToString("F3", CultureInfo.InvariantCulture), t.Std.ToString("F3", CultureInfo.InvariantCulture), t.Zeros.ToString("P0", CultureInfo.InvariantCulture)]));

        var first = (Linear)trained.Layers[0];
        var weights = first.Weight.ToFloat64Array();
        var map = new double[first.OutFeatures, first.InFeatures];
        for (var o = 0; o < first.OutFeatures; o++)
        {
            for (var i = 0; i < first.InFeatures; i++)
                map[o, i] = weights[(o * first.InFeatures) + i];
        }
        var heat = Plots.HeatMap(map, output.File("first-layer-weights.png"), "First layer's weights after training (rows: hidden units, columns: pixels)", "input pixel", "hidden unit");
        var hidden = trained.Layers[1].Forward(first.Forward(testX)).ToFloat64Array();
        var histogram = Plots.Histogram([.. hidden.Where(v => v > 0)], 40, output.File("hidden-activations.png"), "Non-zero hidden activations after ReLU on the test set", "activation");
        output.Line($"Weight heat map: {heat}; activation histogram: {histogram}");
        var dead = Enumerable.Range(0, first.OutFeatures).Count(u => Enumerable.Range(0, testX.Shape[0]).All(r => hidden[(r * first.OutFeatures) + u] == 0));
        output.Result(string.Create(CultureInfo.InvariantCulture, $"inspect: {taps.Count} taps, {hidden.Count(v => v == 0) / (double)hidden.Length:P0} of hidden activations are zero, {dead} of {first.OutFeatures} units never fire on the test set"));
        return 0;
    }
}
