using System.Globalization;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Multi-head attention, like <c>nn.MultiheadAttention(embed_dim, num_heads)</c> with PyTorch's parameters and
/// state-dict names (<c>in_proj_weight</c>, <c>in_proj_bias</c>, <c>out_proj.weight</c>, <c>out_proj.bias</c>), so
/// PyTorch's files load. As a layer it is self-attention: x is query, key and value, <c>[L, N, E]</c>, or
/// <c>[N, L, E]</c> with <see cref="BatchFirst"/>. Inside a composite, <see cref="Forward(Tape, Variable, Variable, Variable, Tensor?, Tensor?, bool)"/>
/// takes a separate query, key and value and PyTorch's masks. Softmax(Q·Kᵀ/√d + masks)·V per head, with dropout on
/// the weights in training; written forward-only, each head's products batched.
/// </summary>
public sealed partial record MultiheadAttention : DerivedLayer
{
    /// <summary>A layer initialised as PyTorch does: the input projection Xavier-uniform, the output projection as a Linear's, biases zero.</summary>
    /// <param name="key">The key of the draws.</param>
    /// <param name="embedDim">E, the model width.</param>
    /// <param name="numHeads">The heads; E must be a multiple of it.</param>
    /// <param name="bias">Whether the projections have biases.</param>
    /// <param name="batchFirst">Whether inputs are [N, L, E] rather than [L, N, E].</param>
    /// <param name="dropout">The dropout probability on the attention weights, in training.</param>
    /// <param name="dtype">float32 or float64.</param>
    public MultiheadAttention(Key key, int embedDim, int numHeads, bool bias = true, bool batchFirst = false, double dropout = 0, DType dtype = DType.Float32)
        : this(
            Init.XavierUniform(key.Fold(0), new Shape(3 * embedDim, embedDim), dtype: dtype),
            bias ? Tensor.Zeros(new Shape(3 * embedDim), dtype) : null,
            new Linear(new Linear(key.Fold(1), embedDim, embedDim, bias: false, dtype: dtype).Weight, bias ? Tensor.Zeros(new Shape(embedDim), dtype) : null),
            numHeads,
            batchFirst,
            dropout)
    {
    }

    /// <summary>A layer from existing projections.</summary>
    /// <param name="inProjWeight">The query, key and value projections stacked, [3E, E].</param>
    /// <param name="inProjBias">Their biases, [3E], or null.</param>
    /// <param name="outProj">The output projection, E to E.</param>
    /// <param name="numHeads">The heads; E must be a multiple of it.</param>
    /// <param name="batchFirst">Whether inputs are [N, L, E] rather than [L, N, E].</param>
    /// <param name="dropout">The dropout probability on the attention weights, in training.</param>
    public MultiheadAttention(Tensor inProjWeight, Tensor? inProjBias, Linear outProj, int numHeads, bool batchFirst = false, double dropout = 0)
    {
        ArgumentNullException.ThrowIfNull(inProjWeight);
        ArgumentNullException.ThrowIfNull(outProj);
        var e = inProjWeight.Rank == 2 ? inProjWeight.Shape[1] : -1;
        if (e < 1 || inProjWeight.Shape[0] != 3 * e)
            throw new ArgumentException($"MultiheadAttention in_proj_weight must be [3E, E] but got {inProjWeight.Shape}.", nameof(inProjWeight));
        if (inProjBias is not null && inProjBias.Shape != new Shape(3 * e))
            throw new ArgumentException($"MultiheadAttention in_proj_bias must be [{3 * e}] but got {inProjBias.Shape}.", nameof(inProjBias));
        if (outProj.InFeatures != e || outProj.OutFeatures != e)
            throw new ArgumentException($"MultiheadAttention out_proj must be Linear({e}, {e}) but got {outProj}.", nameof(outProj));
        if (numHeads < 1 || e % numHeads != 0)
            throw new ArgumentException($"MultiheadAttention embed_dim {e} must be divisible by num_heads, but got {numHeads} heads.", nameof(numHeads));
        if (!(dropout >= 0 && dropout < 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "MultiheadAttention dropout must be in [0, 1).");
        (InProjWeight, InProjBias, OutProj, NumHeads, BatchFirst, Dropout) = (inProjWeight, inProjBias, outProj, numHeads, batchFirst, dropout);
    }

    /// <summary>The query, key and value projections stacked, [3E, E].</summary>
    public Tensor InProjWeight { get; init; }

    /// <summary>Their biases, [3E], or null.</summary>
    public Tensor? InProjBias { get; init; }

    /// <summary>The output projection.</summary>
    public Linear OutProj { get; init; }

    /// <summary>The heads.</summary>
    public int NumHeads { get; }

    /// <summary>Whether inputs are [N, L, E] rather than [L, N, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>The dropout probability on the attention weights, in training.</summary>
    public double Dropout { get; }

    /// <summary>E, the model width.</summary>
    public int EmbedDim => InProjWeight.Shape[1];

    /// <summary>Prints as PyTorch does: <c>MultiheadAttention((out_proj): Linear(...))</c>, with the heads.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"MultiheadAttention(embed_dim={EmbedDim}, num_heads={NumHeads}, batch_first={(BatchFirst ? "True" : "False")}, dropout={Dropout})");

    /// <summary>
    /// Attention of <paramref name="query"/> over <paramref name="key"/> and <paramref name="value"/>, inside a
    /// composite's forward, like <c>forward(query, key, value, key_padding_mask, attn_mask=..., is_causal=...)</c>.
    /// Masks are added to the scores, as PyTorch's float masks are: 0 keeps a position, −∞ blocks it
    /// (<c>Tensor.Zeros(shape).MaskedFill(blocked, double.NegativeInfinity)</c> makes one from a 0/1 mask).
    /// </summary>
    /// <param name="tape">The composite's tape; this layer must be one of its children.</param>
    /// <param name="query">[L, N, E] ([N, L, E] with <see cref="BatchFirst"/>).</param>
    /// <param name="key">[S, N, E] ([N, S, E]).</param>
    /// <param name="value">[S, N, E] ([N, S, E]).</param>
    /// <param name="keyPaddingMask">[N, S], added to every query's scores of its batch row, or null.</param>
    /// <param name="attentionMask">[L, S] or [N·heads, L, S], added to the scores, or null.</param>
    /// <param name="isCausal">Block every key after its query (a causal mask; L and S must be equal).</param>
    public Variable Forward(Tape tape, Variable query, Variable key, Variable value, Tensor? keyPaddingMask = null, Tensor? attentionMask = null, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return tape.Call(this, scope => Attend(scope, query, key, value, keyPaddingMask, attentionMask, isCausal).Output);
    }

    /// <summary>
    /// The attention weights for <paramref name="query"/> over <paramref name="key"/> in evaluation mode, what PyTorch
    /// returns with <c>need_weights=True</c>: [N, L, S] averaged over the heads, or [N, heads, L, S].
    /// </summary>
    /// <param name="query">[L, N, E] ([N, L, E] with <see cref="BatchFirst"/>).</param>
    /// <param name="key">[S, N, E] ([N, S, E]).</param>
    /// <param name="keyPaddingMask">[N, S], added to the scores, or null.</param>
    /// <param name="attentionMask">[L, S] or [N·heads, L, S], added to the scores, or null.</param>
    /// <param name="isCausal">Block every key after its query.</param>
    /// <param name="averageHeads">Average over the heads, like <c>average_attn_weights=True</c>.</param>
    public Tensor AttentionWeights(Tensor query, Tensor key, Tensor? keyPaddingMask = null, Tensor? attentionMask = null, bool isCausal = false, bool averageHeads = true)
    {
        var tape = new Tape(this, ForwardContext.Evaluation, query);
        var weights = Attend(tape, tape.Input, key, key, keyPaddingMask, attentionMask, isCausal).Weights.Value;
        return averageHeads ? weights.Mean(1) : weights;
    }

    /// <inheritdoc/>
    protected override Variable Forward(Variable x, Tape tape) => Attend(tape, x, x, x, null, null, isCausal: false).Output;

    private (Variable Output, Variable Weights) Attend(Tape tape, Variable query, Variable key, Variable value, Tensor? keyPaddingMask, Tensor? attentionMask, bool isCausal)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var e = EmbedDim;
        foreach (var (name, given) in new[] { ("query", query), ("key", key), ("value", value) })
        {
            if (given.Rank != 3 || given.Shape[2] != e)
                throw new ArgumentException($"{Describe(tape.Path)} expects {name} {(BatchFirst ? "[N, L, " : "[L, N, ")}{e}] but got {given.Shape}.", name);
        }
        Variable BatchMajor(Variable v) => BatchFirst ? v : v.Transpose(0, 1);
        var (q, k, v) = (BatchMajor(query), BatchMajor(key), BatchMajor(value));
        var (n, l, s) = (q.Shape[0], q.Shape[1], k.Shape[1]);
        if (k.Shape[0] != n || v.Shape[0] != n || v.Shape[1] != s)
            throw new ArgumentException($"{Describe(tape.Path)} needs key and value of one length and batch, and the query's batch, but got query {query.Shape}, key {key.Shape}, value {value.Shape}.", nameof(key));
        var heads = NumHeads;
        var width = e / heads;
        var weight = tape.Parameter(InProjWeight);
        var bias = InProjBias is null ? null : tape.Parameter(InProjBias);
        // The query's 1/√d goes into its projection's weight and bias: a [3E/3, E] scaling instead of one over every query.
        Variable Project(Variable x, int part, double scale = 1) => scale == 1
            ? Variable.Linear(x, weight.Narrow(0, part * e, e), bias?.Narrow(0, part * e, e))
            : Variable.Linear(x, weight.Narrow(0, part * e, e) * scale, bias is null ? null : bias.Narrow(0, part * e, e) * scale);
        Variable Heads(Variable x, int length) => x.Reshape(n, length, heads, width).Transpose(1, 2);
        var scores = Variable.MatMulTransposed(Heads(Project(q, 0, 1 / Math.Sqrt(width)), l), Heads(Project(k, 1), s));
        scores = AddMasks(tape, scores, keyPaddingMask, attentionMask, isCausal, n, l, s);
        var weights = scores.Softmax();
        var attended = Variable.MatMul(Dropout > 0 ? tape.Dropout(weights, Dropout) : weights, Heads(Project(v, 2), s));
        var merged = attended.Transpose(1, 2).Reshape(n, l, e);
        var output = tape.Call(OutProj, merged);
        return (BatchFirst ? output : output.Transpose(0, 1), weights);
    }

    private Variable AddMasks(Tape tape, Variable scores, Tensor? keyPaddingMask, Tensor? attentionMask, bool isCausal, int n, int l, int s)
    {
        var dtype = scores.DType;
        if (keyPaddingMask is not null)
        {
            if (keyPaddingMask.Shape != new Shape(n, s))
                throw new ArgumentException($"{Describe(tape.Path)} key_padding_mask must be [{n}, {s}] but got {keyPaddingMask.Shape}.", nameof(keyPaddingMask));
            scores += keyPaddingMask.To(dtype).Reshape(n, 1, 1, s);
        }
        if (attentionMask is not null)
        {
            var perHead = new Shape(n * NumHeads, l, s);
            if (attentionMask.Shape != new Shape(l, s) && attentionMask.Shape != perHead)
                throw new ArgumentException($"{Describe(tape.Path)} attn_mask must be [{l}, {s}] or {perHead} but got {attentionMask.Shape}.", nameof(attentionMask));
            scores += attentionMask.Rank == 2 ? attentionMask.To(dtype) : attentionMask.To(dtype).Reshape(n, NumHeads, l, s);
        }
        if (isCausal)
        {
            if (l != s)
                throw new ArgumentException($"{Describe(tape.Path)} is_causal needs a query as long as the key, but they are {l} and {s}.", nameof(isCausal));
            var causal = new double[l * s];
            for (var i = 0; i < l; i++)
            {
                for (var j = i + 1; j < s; j++)
                    causal[(i * s) + j] = double.NegativeInfinity;
            }
            scores += Tensor.FromSpan(causal, new Shape(l, s)).To(dtype);
        }
        return scores;
    }
}
