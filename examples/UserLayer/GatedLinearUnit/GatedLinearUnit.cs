using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace MyLayers;

/// <summary>A gated linear unit: GLU(x) = (x·Wᵀ + b) ⊙ σ(x·Vᵀ + c), with the value and the gate two Linears.</summary>
public sealed record GatedLinearUnit(Linear Value, Linear Gate) : Layer
{
    public GatedLinearUnit(Key key, int features)
        : this(new Linear(key.Fold(0), features, features), new Linear(key.Fold(1), features, features))
    {
    }

    public override LayerParts Parts => new() { Children = [("value", Value), ("gate", Gate)] };

    protected override Layer Rebuild(LayerParts parts) => new GatedLinearUnit(parts.Child<Linear>("value"), parts.Child<Linear>("gate"));

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var value = Value.Forward(x, context.Child("value"));
        var gate = Gate.Forward(x, context.Child("gate"));
        var open = Activations.Sigmoid(gate.Output);
        return new Traced(value.Output * open, new GluTrace(value.Trace, gate.Trace, value.Output, open), WithChildren([value.Next, gate.Next]));
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var t = Expect<GluTrace>(trace);
        var (dxValue, gValue) = Value.Backward(t.Value, dy * t.Open, inputGradient);
        var (dxGate, gGate) = Gate.Backward(t.Gate, Activations.SigmoidBackward(t.Open, dy * t.ValueOutput), inputGradient);
        return (inputGradient ? dxValue! + dxGate! : null, new GatedLinearUnit((Linear)gValue, (Linear)gGate));
    }

    private sealed record GluTrace(Trace Value, Trace Gate, Tensor ValueOutput, Tensor Open) : Trace;
}
