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
public sealed record VariationalAutoencoder(Layer Encoder, Layer Decoder, int Latent) : Layer
{
    public override LayerParts Parts => new() { Children = [("encoder", Encoder), ("decoder", Decoder)] };

    protected override Layer Rebuild(LayerParts parts) => this with { Encoder = parts.Child<Layer>("encoder"), Decoder = parts.Child<Layer>("decoder") };

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var encoded = Encoder.Forward(x, context.Child("encoder"));
        var (mean, logVariance) = (encoded.Output.Narrow(-1, 0, Latent), encoded.Output.Narrow(-1, Latent, Latent));
        var noise = context.Mode == Mode.Train ? Tensor.Normal(context.LayerKey, mean.Shape, dtype: mean.DType) : Tensor.Zeros(mean.Shape, mean.DType);
        var spread = (logVariance * 0.5).Exp();
        var decoded = Decoder.Forward(mean + (spread * noise), context.Child("decoder"));
        return new Traced(
            Tensor.Concat([decoded.Output, mean, logVariance], -1),
            new VaeTrace(encoded.Trace, decoded.Trace, noise, spread, decoded.Output.Shape.Last),
            WithChildren([encoded.Next, decoded.Next]));
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var t = Expect<VaeTrace>(trace);
        var (dLogits, dMean, dLogVariance) = (dy.Narrow(-1, 0, t.Width), dy.Narrow(-1, t.Width, Latent), dy.Narrow(-1, t.Width + Latent, Latent));
        var (dz, gDecoder) = Decoder.Backward(t.Decoder, dLogits, inputGradient: true);
        var dEncoded = Tensor.Concat([dMean + dz!, dLogVariance + (dz! * t.Noise * t.Spread * 0.5)], -1);
        var (dx, gEncoder) = Encoder.Backward(t.Encoder, dEncoded, inputGradient);
        return (dx, this with { Encoder = gEncoder, Decoder = gDecoder });
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

    private sealed record VaeTrace(Trace Encoder, Trace Decoder, Tensor Noise, Tensor Spread, int Width) : Trace;
}
