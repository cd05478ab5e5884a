using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Examples.Layers;

/// <summary>
/// A variational autoencoder as one layer written outside the library. The encoder gives μ and log σ² of a latent
/// Gaussian; training draws z = μ + σ·ε with ε ~ N(0, I) from the pass's key (the reparameterisation trick: the draw is an
/// input, so gradients flow through μ and σ); evaluation uses z = μ. The output is [reconstruction logits | μ | log σ²],
/// so the loss (<see cref="Loss"/>) sees every term it needs and its gradient reaches each part.
/// </summary>
public sealed partial record VariationalAutoencoder(Layer Encoder, Layer Decoder, int Latent) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape)
    {
        var encoded = tape.Call(Encoder, x);
        var (mean, logVariance) = (encoded.Narrow(-1, 0, Latent), encoded.Narrow(-1, Latent, Latent));
        var noise = tape.Mode == Mode.Train ? Tensor.Normal(tape.NextKey(), mean.Shape, dtype: mean.DType) : Tensor.Zeros(mean.Shape, mean.DType);
        var decoded = tape.Call(Decoder, mean + ((logVariance * 0.5).Exp() * noise));
        return Variable.Concat([decoded, mean, logVariance], -1);
    }

    /// <summary>
    /// The negative evidence lower bound per example: binary cross-entropy of the reconstruction (summed over pixels)
    /// plus KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²), averaged over the batch.
    /// </summary>
    public static LossValue Loss(Tensor output, Tensor x, int latent)
    {
        var width = x.Shape.Last;
        var rows = x.Shape[0];
        var (logits, mean, logVariance) = (output.Narrow(-1, 0, width), output.Narrow(-1, width, latent), output.Narrow(-1, width + latent, latent));
        var reconstruction = Losses.Loss.BinaryCrossEntropyWithLogits(logits, x, Reduction.Sum);
        var variance = logVariance.Exp();
        var kl = -0.5 * (logVariance + 1 - (mean * mean) - variance).Sum().Item();
        var gradient = Tensor.Concat([reconstruction.Gradient, mean, (variance - 1) * 0.5], -1) / rows;
        return new LossValue((reconstruction.Value + kl) / rows, gradient);
    }
}
