using Pipelines.Layers;
using Pipelines.Tensors;

namespace MyLayers;

/// <summary>A gated linear unit: GLU(x) = (x·Wᵀ + b) ⊙ σ(x·Vᵀ + c), with the value and the gate two Linears.</summary>
public sealed partial record GatedLinearUnit(Linear Value, Linear Gate) : DerivedLayer
{
    public GatedLinearUnit(Key key, int features)
        : this(new Linear(key.Fold(0), features, features), new Linear(key.Fold(1), features, features))
    {
    }

    protected override Variable Forward(Variable x, Tape tape) => tape.Call(Value, x) * tape.Call(Gate, x).Sigmoid();
}
