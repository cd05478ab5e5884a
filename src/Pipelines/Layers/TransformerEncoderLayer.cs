using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>The activation of a transformer layer's feed-forward block, as PyTorch's <c>activation="relu"</c> or <c>"gelu"</c>.</summary>
public enum TransformerActivation
{
    /// <summary>max(0, x), PyTorch's default.</summary>
    Relu,

    /// <summary>The exact GELU.</summary>
    Gelu,
}

/// <summary>
/// One transformer encoder layer, like <c>nn.TransformerEncoderLayer(d_model, nhead)</c>: self-attention and a
/// feed-forward block (linear1, activation, dropout, linear2), each with dropout, a residual connection and a layer
/// norm after it, or before it with <see cref="NormFirst"/>. PyTorch's children and names (<c>self_attn</c>,
/// <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>, <c>dropout1</c>, <c>dropout2</c>), so its
/// state dicts load. As a layer it takes <c>src</c> alone; <see cref="Forward(Tape, Variable, Tensor?, Tensor?, bool)"/>
/// takes the masks inside a composite. Written forward-only.
/// </summary>
public sealed partial record TransformerEncoderLayer : DerivedLayer
{
    /// <summary>A layer initialised as PyTorch does.</summary>
    /// <param name="key">The key of the draws.</param>
    /// <param name="dModel">The model width.</param>
    /// <param name="nhead">The attention heads.</param>
    /// <param name="dimFeedforward">The feed-forward block's width.</param>
    /// <param name="dropout">The dropout probability everywhere (attention weights included).</param>
    /// <param name="activation">The feed-forward activation.</param>
    /// <param name="layerNormEps">The layer norms' eps.</param>
    /// <param name="batchFirst">Whether inputs are [N, L, E] rather than [L, N, E].</param>
    /// <param name="normFirst">Layer norms before attention and feed-forward rather than after.</param>
    /// <param name="dtype">float32 or float64.</param>
    public TransformerEncoderLayer(Key key, int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, TransformerActivation activation = TransformerActivation.Relu, double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, DType dtype = DType.Float32)
        : this(
            new MultiheadAttention(key.Fold(0), dModel, nhead, batchFirst: batchFirst, dropout: dropout, dtype: dtype),
            new Linear(key.Fold(1), dModel, dimFeedforward, dtype: dtype),
            new Linear(key.Fold(2), dimFeedforward, dModel, dtype: dtype),
            new LayerNorm(dModel, layerNormEps, dtype: dtype),
            new LayerNorm(dModel, layerNormEps, dtype: dtype),
            dropout,
            activation,
            normFirst)
    {
    }

    /// <summary>A layer from existing parts.</summary>
    /// <param name="selfAttn">The self-attention.</param>
    /// <param name="linear1">The feed-forward block's first projection.</param>
    /// <param name="linear2">Its second projection.</param>
    /// <param name="norm1">The layer norm around attention.</param>
    /// <param name="norm2">The layer norm around the feed-forward block.</param>
    /// <param name="dropout">The dropout probability of the three dropouts.</param>
    /// <param name="activation">The feed-forward activation.</param>
    /// <param name="normFirst">Layer norms before attention and feed-forward rather than after.</param>
    public TransformerEncoderLayer(MultiheadAttention selfAttn, Linear linear1, Linear linear2, LayerNorm norm1, LayerNorm norm2, double dropout = 0.1, TransformerActivation activation = TransformerActivation.Relu, bool normFirst = false)
    {
        ArgumentNullException.ThrowIfNull(selfAttn);
        ArgumentNullException.ThrowIfNull(linear1);
        ArgumentNullException.ThrowIfNull(linear2);
        var e = selfAttn.EmbedDim;
        if (linear1.InFeatures != e || linear2.OutFeatures != e || linear2.InFeatures != linear1.OutFeatures)
            throw new ArgumentException($"TransformerEncoderLayer needs linear1 from {e} and linear2 back to {e} through one width, but got {linear1} and {linear2}.", nameof(linear1));
        (SelfAttn, Linear1, Linear2, Norm1, Norm2, Activation, NormFirst) = (selfAttn, linear1, linear2, norm1, norm2, activation, normFirst);
        (Dropout, Dropout1, Dropout2) = (new Dropout(dropout), new Dropout(dropout), new Dropout(dropout));
    }

    /// <summary>The self-attention.</summary>
    public MultiheadAttention SelfAttn { get; init; }

    /// <summary>The feed-forward block's first projection.</summary>
    public Linear Linear1 { get; init; }

    /// <summary>The dropout inside the feed-forward block.</summary>
    public Dropout Dropout { get; init; }

    /// <summary>The feed-forward block's second projection.</summary>
    public Linear Linear2 { get; init; }

    /// <summary>The layer norm around attention.</summary>
    public LayerNorm Norm1 { get; init; }

    /// <summary>The layer norm around the feed-forward block.</summary>
    public LayerNorm Norm2 { get; init; }

    /// <summary>The dropout after attention.</summary>
    public Dropout Dropout1 { get; init; }

    /// <summary>The dropout after the feed-forward block.</summary>
    public Dropout Dropout2 { get; init; }

    /// <summary>The feed-forward activation.</summary>
    public TransformerActivation Activation { get; }

    /// <summary>Whether the layer norms come before attention and feed-forward.</summary>
    public bool NormFirst { get; }

    /// <summary>
    /// The layer on <paramref name="src"/> inside a composite's forward, with PyTorch's masks, like
    /// <c>forward(src, src_mask, src_key_padding_mask, is_causal)</c>; masks are added to the attention scores (0 keeps,
    /// −∞ blocks), as <see cref="MultiheadAttention"/>'s.
    /// </summary>
    /// <param name="tape">The composite's tape; this layer must be one of its children.</param>
    /// <param name="src">[L, N, E] ([N, L, E] with batch_first).</param>
    /// <param name="srcMask">[L, L] or [N·heads, L, L], or null.</param>
    /// <param name="srcKeyPaddingMask">[N, L], or null.</param>
    /// <param name="isCausal">Block every position after its query.</param>
    public Variable Forward(Tape tape, Variable src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return tape.Call(this, scope => Encode(scope, src, srcMask, srcKeyPaddingMask, isCausal));
    }

    /// <inheritdoc/>
    protected override Variable Forward(Variable x, Tape tape) => Encode(tape, x, null, null, isCausal: false);

    private Variable Encode(Tape tape, Variable x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal)
    {
        Variable Attention(Variable h) => tape.Call(Dropout1, SelfAttn.Forward(tape, h, h, h, keyPaddingMask, mask, isCausal));
        Variable Activated(Variable h) => Activation == TransformerActivation.Gelu ? h.Gelu() : h.Relu();
        Variable FeedForward(Variable h) => tape.Call(Dropout2, tape.Call(Linear2, tape.Call(Dropout, Activated(tape.Call(Linear1, h)))));
        if (NormFirst)
        {
            x += Attention(tape.Call(Norm1, x));
            return x + FeedForward(tape.Call(Norm2, x));
        }
        x = tape.Call(Norm1, x + Attention(x));
        return tape.Call(Norm2, x + FeedForward(x));
    }
}
