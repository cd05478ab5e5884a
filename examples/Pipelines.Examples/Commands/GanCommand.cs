using System.Globalization;
using Pipelines.Autodiff;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// A GAN on the digits: a generator of Linear layers with LeakyReLU turns 16 random numbers into an image, a
/// discriminator of the same kind tells real from generated. Two players taking turns do not fit one training graph,
/// so this loop is written out: a discriminator step on a real and a generated batch, then a generator step through the
/// discriminator's input gradient. The discriminator is held back the usual two ways: dropout after its hidden layers
/// and one-sided label smoothing (real images are labelled 0.9, generated ones 0). Without them it won early on this
/// small data set and the generator collapsed onto two or three shapes for every input.
/// </summary>
public static class GanCommand
{
    public const string Description = "a GAN of Linear layers with LeakyReLU on digits: both losses per epoch, samples as a PNG";

    private const int Noise = 16;

    public static Task<int> Run(CommandLine line)
    {
        var output = new Output("gan", line);
        var epochs = line.Int("epochs", 60);
        var (trainX, _, _, _) = DataSets.Digits();
        var k = new Key(41).Split(6);
        Layer generator = new Linear(k[0], Noise, 128) >> new LeakyReLU(0.2) >> new Linear(k[1], 128, 128) >> new LeakyReLU(0.2) >> new Linear(k[2], 128, 64) >> new Sigmoid();
        Layer discriminator = new Linear(k[3], 64, 128) >> new LeakyReLU(0.2) >> new Dropout(0.3)
            >> new Linear(k[4], 128, 64) >> new LeakyReLU(0.2) >> new Dropout(0.3) >> new Linear(k[5], 64, 1);
        var (gOptimizer, dOptimizer) = (Optimizers.Adam(2e-4, beta1: 0.5), Optimizers.Adam(2e-4, beta1: 0.5));
        var (gState, dState) = (gOptimizer.Init(generator), dOptimizer.Init(discriminator));
        const int Batch = 32;
        var (ones, zeros) = (Tensor.Ones(new Shape(Batch, 1)), Tensor.Zeros(new Shape(Batch, 1)));
        var realLabels = Tensor.Full(new Shape(Batch, 1), 0.9);
        var rows = trainX.Shape[0] / Batch * Batch;
        var history = new List<(double D, double G)>();
        long step = 0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            var order = Pipelines.Dataflow.Shuffling.Permutation(new Key(42), epoch, trainX.Shape[0]);
            var (dSum, gSum, batches) = (0.0, 0.0, 0);
            for (var start = 0; start < rows; start += Batch)
            {
                var keys = new Key(43).Fold((ulong)step++).Split(3);
                var real = trainX.IndexSelect(order.AsSpan(start, Batch));
                var fake = generator.Forward(Tensor.Normal(keys[0], new Shape(Batch, Noise)));
                var onReal = Gradients.ValueAndGrad(discriminator, real, y => Loss.BinaryCrossEntropyWithLogits(y, realLabels), ForwardContext.Training(keys[1]));
                var onFake = Gradients.ValueAndGrad(discriminator, fake, y => Loss.BinaryCrossEntropyWithLogits(y, zeros), ForwardContext.Training(keys[1]));
                (discriminator, dState) = dOptimizer.Step(discriminator, onReal.Gradient + onFake.Gradient, dState);

                var context = ForwardContext.Training(keys[2]);
                var generated = generator.Forward(Tensor.Normal(keys[2], new Shape(Batch, Noise)), context);
                var judged = discriminator.Forward(generated.Output, context);
                var loss = Loss.BinaryCrossEntropyWithLogits(judged.Output, ones);
                var (dImage, _) = discriminator.Backward(judged.Trace, loss.Gradient, inputGradient: true);
                var (_, gGradient) = generator.Backward(generated.Trace, dImage!, inputGradient: false);
                (generator, gState) = gOptimizer.Step(generator, gGradient, gState);
                (dSum, gSum, batches) = (dSum + onReal.Value + onFake.Value, gSum + loss.Value, batches + 1);
            }
            history.Add((dSum / batches, gSum / batches));
            if (epoch % 10 == 9 || epoch == 0)
                output.Line(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1,3}: discriminator loss {history[^1].D:F3}, generator loss {history[^1].G:F3}"));
        }
        var samples = Plots.ImageGrid(generator.Forward(Tensor.Normal(new Key(44), new Shape(32, Noise))), 8, 8, output.File("gan-samples.png"), "Digits from the generator (32 random inputs)");
        var curves = Plots.Lines([.. Enumerable.Range(1, epochs).Select(e => e.ToString(CultureInfo.InvariantCulture))], [[.. history.Select(h => h.D)], [.. history.Select(h => h.G)]], ["discriminator", "generator"], output.File("gan-losses.png"), "GAN: losses per epoch", "epoch", "loss", logScale: false);
        output.Line($"Samples: {samples}; losses: {curves}");
        output.Result(string.Create(CultureInfo.InvariantCulture, $"gan: after {epochs} epochs the discriminator's loss is {history[^1].D:F3} and the generator's {history[^1].G:F3}"));
        return Task.FromResult(double.IsFinite(history[^1].G) ? 0 : 1);
    }
}
