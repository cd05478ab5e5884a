using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Tests.Layers;

/// <summary>A leaf layer written outside the library: y = x ⊙ w over the last axis, with w [F] its only parameter.</summary>
public sealed record FeatureScale : Layer
{
    public FeatureScale(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        Weight = weight.Rank == 1 ? weight : throw new ArgumentException($"FeatureScale weight must be [F] but got {weight.Shape}.", nameof(weight));
    }

    public Tensor Weight { get; }

    public override LayerParts Parts => new() { Parameters = [("weight", Weight)] };

    protected override Layer Rebuild(LayerParts parts) => new FeatureScale(parts.Parameter("weight"));

    protected override Traced ForwardCore(Tensor x, ForwardContext context) => new(x * Weight, new InputTrace(x), this);

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var x = Expect<InputTrace>(trace).Input;
        ExpectGradient(x, dy, trace);
        var rows = (dy * x).Reshape(x.Shape.LeadingCount, Weight.Count);
        return (inputGradient ? dy * Weight : null, new FeatureScale(rows.Sum(0)));
    }
}

/// <summary>
/// A composite written outside the library: a gated unit y = scale(drop(value(x)) ⊙ σ(drop(gate(x)))) followed by batch
/// normalisation, with two dropouts that must draw different masks and a child that keeps running statistics.
/// </summary>
public sealed record GatedUnit(Linear Value, Linear Gate, Dropout ValueDropout, Dropout GateDropout, FeatureScale Scale, BatchNorm1d Norm) : Layer
{
    public override LayerParts Parts => new()
    {
        Children = [("value", Value), ("gate", Gate), ("value_dropout", ValueDropout), ("gate_dropout", GateDropout), ("scale", Scale), ("norm", Norm)],
    };

    public static GatedUnit Create(Key key, int features, DType dtype = DType.Float32)
    {
        var k = key.Split(3);
        return new GatedUnit(
            new Linear(k[0], features, features, dtype: dtype),
            new Linear(k[1], features, features, dtype: dtype),
            new Dropout(0.5),
            new Dropout(0.5),
            new FeatureScale(Tensor.Uniform(k[2], new Shape(features), 0.5, 1.5, dtype)),
            new BatchNorm1d(features, dtype: dtype));
    }

    protected override Layer Rebuild(LayerParts parts) => new GatedUnit(
        parts.Child<Linear>("value"), parts.Child<Linear>("gate"), parts.Child<Dropout>("value_dropout"), parts.Child<Dropout>("gate_dropout"), parts.Child<FeatureScale>("scale"), parts.Child<BatchNorm1d>("norm"));

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var value = Value.Forward(x, context.Child("value"));
        var gate = Gate.Forward(x, context.Child("gate"));
        var droppedValue = ValueDropout.Forward(value.Output, context.Child("value_dropout"));
        var droppedGate = GateDropout.Forward(gate.Output, context.Child("gate_dropout"));
        var open = Activations.Sigmoid(droppedGate.Output);
        var scaled = Scale.Forward(droppedValue.Output * open, context.Child("scale"));
        var norm = Norm.Forward(scaled.Output, context.Child("norm"));
        var trace = new GatedTrace(value.Trace, gate.Trace, droppedValue.Trace, droppedGate.Trace, scaled.Trace, norm.Trace, droppedValue.Output, open);
        return new Traced(norm.Output, trace, WithChildren([value.Next, gate.Next, droppedValue.Next, droppedGate.Next, scaled.Next, norm.Next]));
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var t = Expect<GatedTrace>(trace);
        var (dScaled, gNorm) = Norm.Backward(t.Norm, dy, inputGradient: true);
        var (dProduct, gScale) = Scale.Backward(t.Scale, dScaled!, inputGradient: true);
        var (dValue, gValueDropout) = ValueDropout.Backward(t.ValueDropout, dProduct! * t.Open, inputGradient: true);
        var dOpen = Activations.SigmoidBackward(t.Open, dProduct! * t.DroppedValue);
        var (dGate, gGateDropout) = GateDropout.Backward(t.GateDropout, dOpen, inputGradient: true);
        var (dxValue, gValue) = Value.Backward(t.Value, dValue!, inputGradient);
        var (dxGate, gGate) = Gate.Backward(t.Gate, dGate!, inputGradient);
        return (inputGradient ? dxValue! + dxGate! : null, WithChildren([gValue, gGate, gValueDropout, gGateDropout, gScale, gNorm]));
    }

    private sealed record GatedTrace(Trace Value, Trace Gate, Trace ValueDropout, Trace GateDropout, Trace Scale, Trace Norm, Tensor DroppedValue, Tensor Open) : Trace;
}
