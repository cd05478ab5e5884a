using Pipelines.Layers;

namespace Pipelines.Examples.Layers;

/// <summary>
/// Multi-head self-attention over [batch, sequence, model] input, written forward-only outside the library: the query,
/// key, value and output projections are <see cref="Linear"/> layers over the last axis, the heads are a reshape, and
/// softmax(Q·Kᵀ/√d)·V is two batched products over [batch, heads]; the backward is derived.
/// </summary>
public sealed partial record SelfAttention(
    [StateName("q_proj")] Linear Query,
    [StateName("k_proj")] Linear Key,
    [StateName("v_proj")] Linear Value,
    [StateName("out_proj")] Linear Output,
    int Heads) : DerivedLayer
{
    public SelfAttention(Tensors.Key key, int model, int heads)
        : this(new Linear(key.Fold(0), model, model), new Linear(key.Fold(1), model, model), new Linear(key.Fold(2), model, model), new Linear(key.Fold(3), model, model), heads)
    {
    }

    protected override Variable Forward(Variable x, Tape tape)
    {
        if (x.Rank != 3 || x.Shape[2] != Query.InFeatures)
            throw new ArgumentException($"{Describe(tape.Path)} expects [batch, sequence, {Query.InFeatures}] but got {x.Shape}.", nameof(x));
        var (batch, length, model) = (x.Shape[0], x.Shape[1], x.Shape[2]);
        var width = model / Heads;
        Variable Split(Variable t) => t.Reshape(batch, length, Heads, width).Transpose(1, 2);
        var (q, k, v) = (Split(tape.Call(Query, x)), Split(tape.Call(Key, x)), Split(tape.Call(Value, x)));
        var weights = (Variable.MatMul(q, k.Transpose()) * (1 / Math.Sqrt(width))).Softmax();
        return tape.Call(Output, Variable.MatMul(weights, v).Transpose(1, 2).Reshape(batch, length, model));
    }
}
