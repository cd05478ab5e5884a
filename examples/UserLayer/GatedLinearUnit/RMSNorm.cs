using Pipelines.Layers;
using Pipelines.Tensors;

namespace MyLayers;

/// <summary>Root-mean-square normalisation over the last axis (Zhang and Sennrich, 2019): x / √(mean(x²) + ε) ⊙ w.</summary>
public sealed partial record RMSNorm(Tensor Weight, double Eps = 1e-6) : DerivedLayer
{
    public RMSNorm(int features)
        : this(Tensor.Ones(new Shape(features)))
    {
    }

    protected override Variable Forward(Variable x, Tape tape) => x / ((x * x).Mean(-1, keepDim: true) + Eps).Sqrt() * tape.Parameter(Weight);
}
