using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Examples.Layers;
using Pipelines.Layers;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>A variational autoencoder on the digits (latent size 8): the loss per epoch, and digits decoded from random latent points as a PNG.</summary>
public static class VaeCommand
{
    public const string Description = "a variational autoencoder on digits: the reparameterisation trick, samples decoded from the latent space as a PNG";

    private const int Latent = 8;

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("vae", line);
        var epochs = line.Int("epochs", 80);
        var (trainX, _, testX, _) = DataSets.Digits();
        var k = new Key(31).Split(4);
        var vae = new VariationalAutoencoder(
            new Linear(k[0], 64, 128) >> new ReLU() >> new Linear(k[1], 128, 2 * Latent),
            new Linear(k[2], Latent, 128) >> new ReLU() >> new Linear(k[3], 128, 64),
            Latent);
        var trainer = new Trainer<VariationalAutoencoder>(Optimizers.Adam(1e-3), (y, t) => VariationalAutoencoder.Loss(y, t, Latent), new TrainerOptions { BatchSize = 32, Epochs = epochs, Validation = DataSource.FromTensors(testX, testX) });
        var (result, reports) = await TrainingProgress.Follow(trainer.Train(vae, DataSource.FromTensors(trainX, trainX), new Key(32)), epochs, output);
        var losses = reports.OfType<EvaluationReport>().Select(e => e.Metrics["loss"]).ToList();
        var samples = result.Model.Decoder.Forward(Tensor.Normal(new Key(33), new Shape(32, Latent)));
        var grid = Plots.ImageGrid(Activate(samples), 8, 8, output.File("vae-samples.png"), "Digits decoded from 32 random points of the latent space");
        Plots.Curves(reports, output.File("vae-curves.png"), "VAE: negative ELBO per epoch");
        output.Line($"Samples: {grid}");
        output.Result(string.Create(CultureInfo.InvariantCulture, $"vae: test negative ELBO {losses[0]:F2} after epoch 1, {losses[^1]:F2} after epoch {losses.Count} (nats per digit)"));
        return 0;
    }

    private static Tensor Activate(Tensor logits) => Pipelines.Kernels.Activations.Sigmoid(logits);
}
