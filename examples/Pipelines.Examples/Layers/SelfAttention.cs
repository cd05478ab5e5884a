using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Examples.Layers;

/// <summary>
/// Multi-head self-attention over [batch, sequence, model] input, written outside the library: the query, key, value and
/// output projections are <see cref="Linear"/> layers applied over the last axis of the 3-D input (N-D Linear), and each
/// head computes softmax(Q·Kᵀ/√d)·V on its slice of the model dimension.
/// </summary>
public sealed record SelfAttention(Linear Query, Linear Key, Linear Value, Linear Output, int Heads) : Layer
{
    public SelfAttention(Tensors.Key key, int model, int heads)
        : this(new Linear(key.Fold(0), model, model), new Linear(key.Fold(1), model, model), new Linear(key.Fold(2), model, model), new Linear(key.Fold(3), model, model), heads)
    {
    }

    public override LayerParts Parts => new() { Children = [("q_proj", Query), ("k_proj", Key), ("v_proj", Value), ("out_proj", Output)] };

    protected override Layer Rebuild(LayerParts parts) =>
        this with { Query = parts.Child<Linear>("q_proj"), Key = parts.Child<Linear>("k_proj"), Value = parts.Child<Linear>("v_proj"), Output = parts.Child<Linear>("out_proj") };

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var (q, k, v) = (Query.Forward(x, context.Child("q_proj")), Key.Forward(x, context.Child("k_proj")), Value.Forward(x, context.Child("v_proj")));
        var (batch, length, model) = (x.Shape[0], x.Shape[1], x.Shape[2]);
        var width = model / Heads;
        var scale = 1 / Math.Sqrt(width);
        var attended = new Tensor[batch * Heads];
        var weights = new Tensor[batch * Heads];
        for (var b = 0; b < batch; b++)
        {
            for (var h = 0; h < Heads; h++)
            {
                var (qh, kh, vh) = (Head(q.Output, b, h, width), Head(k.Output, b, h, width), Head(v.Output, b, h, width));
                var p = Activations.Softmax(Products.MatMul(qh, kh.Transpose()) * scale);
                (weights[(b * Heads) + h], attended[(b * Heads) + h]) = (p, Products.MatMul(p, vh));
            }
        }
        var merged = Merge(attended, batch, length, model, width);
        var output = Output.Forward(merged, context.Child("out_proj"));
        var trace = new AttentionTrace(q, k, v, output.Trace, weights, scale);
        return new Traced(output.Output, trace, WithChildren([q.Next, k.Next, v.Next, output.Next]));
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var t = Expect<AttentionTrace>(trace);
        var (dMerged, gOutput) = Output.Backward(t.Output, dy, inputGradient: true);
        var (batch, length, model) = (dy.Shape[0], dy.Shape[1], dy.Shape[2]);
        var width = model / Heads;
        var (dq, dk, dv) = (new Tensor[batch * Heads], new Tensor[batch * Heads], new Tensor[batch * Heads]);
        for (var b = 0; b < batch; b++)
        {
            for (var h = 0; h < Heads; h++)
            {
                var i = (b * Heads) + h;
                var (qh, kh, vh, p) = (Head(t.Q.Output, b, h, width), Head(t.K.Output, b, h, width), Head(t.V.Output, b, h, width), t.Weights[i]);
                var dOut = Head(dMerged!, b, h, width);
                dv[i] = Products.MatMul(p.Transpose(), dOut);
                var dScores = Activations.SoftmaxBackward(p, Products.MatMul(dOut, vh.Transpose())) * t.Scale;
                (dq[i], dk[i]) = (Products.MatMul(dScores, kh), Products.MatMul(dScores.Transpose(), qh));
            }
        }
        var (dxQ, gQuery) = Query.Backward(t.Q.Trace, Merge(dq, batch, length, model, width), inputGradient);
        var (dxK, gKey) = Key.Backward(t.K.Trace, Merge(dk, batch, length, model, width), inputGradient);
        var (dxV, gValue) = Value.Backward(t.V.Trace, Merge(dv, batch, length, model, width), inputGradient);
        return (inputGradient ? dxQ! + dxK! + dxV! : null, this with { Query = (Linear)gQuery, Key = (Linear)gKey, Value = (Linear)gValue, Output = (Linear)gOutput });
    }

    /// <summary>Head <paramref name="h"/> of batch row <paramref name="b"/>: [sequence, width].</summary>
    private static Tensor Head(Tensor x, int b, int h, int width) => x[b].Narrow(-1, h * width, width);

    /// <summary>The heads of every batch row side by side again: [batch, sequence, model].</summary>
    private Tensor Merge(Tensor[] heads, int batch, int length, int model, int width) => batch == 0
        ? Tensor.Zeros(new Shape(0, length, model), heads.FirstOrDefault()?.DType ?? Query.Weight.DType)
        : Tensor.Stack([.. Enumerable.Range(0, batch).Select(b => Tensor.Concat([.. Enumerable.Range(0, Heads).Select(h => heads[(b * Heads) + h])], -1))]).Reshape(batch, length, model);

    private sealed record AttentionTrace(Traced Q, Traced K, Traced V, Trace Output, Tensor[] Weights, double Scale) : Trace;
}
