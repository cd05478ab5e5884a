using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Tests.Testing;

/// <summary>A linear layer whose backward gives the weight gradient transposed (square weights, so the shapes still fit).</summary>
public sealed record TransposedWeightGradient(Linear Inner) : Layer
{
    public override LayerParts Parts => new() { Children = [("inner", Inner)] };

    protected override Layer Rebuild(LayerParts parts) => this with { Inner = parts.Child<Linear>("inner") };

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var inner = Inner.Forward(x, context.Child("inner"));
        return new Traced(inner.Output, inner.Trace, this);
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var (dx, gradient) = Inner.Backward(trace, dy, inputGradient);
        var g = (Linear)gradient;
        return (dx, new TransposedWeightGradient(new Linear(g.Weight.Transpose(), g.Bias)));
    }
}

/// <summary>A linear layer whose backward forgets the bias: its gradient is zero.</summary>
public sealed record MissingBiasGradient(Linear Inner) : Layer
{
    public override LayerParts Parts => new() { Children = [("inner", Inner)] };

    protected override Layer Rebuild(LayerParts parts) => this with { Inner = parts.Child<Linear>("inner") };

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var inner = Inner.Forward(x, context.Child("inner"));
        return new Traced(inner.Output, inner.Trace, this);
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var (dx, gradient) = Inner.Backward(trace, dy, inputGradient);
        var g = (Linear)gradient;
        return (dx, new MissingBiasGradient(new Linear(g.Weight, Tensor.Zeros(g.Bias!.Shape, g.Bias.DType))));
    }
}

/// <summary>A dropout that ignores its key and draws from a shared System.Random.</summary>
public sealed record KeylessDropout(double P) : Layer
{
    private static readonly Random Shared = new(1);

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        if (context.Mode != Mode.Train)
            return new Traced(x, new InputTrace(x), this);
        double[] mask;
        lock (Shared)
            mask = [.. Enumerable.Range(0, x.Count).Select(_ => Shared.NextDouble() >= P ? 1 / (1 - P) : 0)];
        var scale = Tensor.FromSpan(mask, x.Shape).To(x.DType);
        return new Traced(x * scale, new InputTrace(scale), this);
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient) =>
        (inputGradient ? dy * Expect<InputTrace>(trace).Input : null, this);
}

/// <summary>A dropout that seeds a generator of its own on every pass: the same draws every time, whatever the key.</summary>
public sealed record SeededDropout(double P) : Layer
{
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        if (context.Mode != Mode.Train)
            return new Traced(x, new InputTrace(x), this);
        var random = new Random(1);
        var scale = Tensor.FromSpan([.. Enumerable.Range(0, x.Count).Select(_ => random.NextDouble() >= P ? 1 / (1 - P) : 0)], x.Shape).To(x.DType);
        return new Traced(x * scale, new InputTrace(scale), this);
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient) =>
        (inputGradient ? dy * Expect<InputTrace>(trace).Input : null, this);
}

/// <summary>y = x − mean, with the mean a buffer updated in training; its parts forget to list the buffer, so no state dict holds it.</summary>
public sealed record UnlistedBuffer(Tensor Mean) : Layer
{
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var next = context.Mode == Mode.Train ? new UnlistedBuffer(x.Reshape(x.Shape.LeadingCount, Mean.Count).Mean(0)) : this;
        return new Traced(x - Mean, new InputTrace(x), next);
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient) => (inputGradient ? dy : null, this);
}
