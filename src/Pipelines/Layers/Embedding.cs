using System.Globalization;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A lookup table, like <c>nn.Embedding</c>: int64 indices of any shape give their rows of <see cref="Weight"/>,
/// <c>[..., embedding_dim]</c>. The row at <see cref="PaddingIndex"/> gets no gradient. With <see cref="MaxNorm"/>, each
/// row a pass looks up whose norm exceeds it is rescaled to it first, and, as PyTorch rewrites its weight in place, the
/// layer after the pass (<see cref="Traced.Next"/>) holds the rescaled rows. A table loaded with
/// <see cref="FromPretrained"/> and frozen is a buffer: saved under the same name, never trained.
/// </summary>
public sealed record Embedding : Layer
{
    /// <summary>A table of <paramref name="numEmbeddings"/> rows drawn from N(0, 1), as PyTorch initialises it, with the padding row zero.</summary>
    /// <param name="key">The key of the draw.</param>
    /// <param name="numEmbeddings">The number of rows (the vocabulary).</param>
    /// <param name="embeddingDim">The length of each row.</param>
    /// <param name="paddingIndex">A row that is zero and gets no gradient (negative counts from the end), or null.</param>
    /// <param name="maxNorm">Rows looked up are rescaled to at most this norm, or null.</param>
    /// <param name="normType">The p of the p-norm <paramref name="maxNorm"/> bounds.</param>
    /// <param name="dtype">float32 or float64.</param>
    public Embedding(Key key, int numEmbeddings, int embeddingDim, long? paddingIndex = null, double? maxNorm = null, double normType = 2, DType dtype = DType.Float32)
        : this(Initial(key, numEmbeddings, embeddingDim, paddingIndex, dtype), paddingIndex, maxNorm, normType)
    {
    }

    /// <summary>A table from an existing weight, [num_embeddings, embedding_dim], trained.</summary>
    /// <param name="weight">The table.</param>
    /// <param name="paddingIndex">A row that gets no gradient (negative counts from the end), or null.</param>
    /// <param name="maxNorm">Rows looked up are rescaled to at most this norm, or null.</param>
    /// <param name="normType">The p of the p-norm <paramref name="maxNorm"/> bounds.</param>
    public Embedding(Tensor weight, long? paddingIndex = null, double? maxNorm = null, double normType = 2)
        : this(weight, paddingIndex, maxNorm, normType, frozen: false)
    {
    }

    private Embedding(Tensor weight, long? paddingIndex, double? maxNorm, double normType, bool frozen)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2 || !weight.DType.IsFloatingPoint())
            throw new ArgumentException($"Embedding needs a float weight [num_embeddings, embedding_dim] but got {weight.Shape} ({weight.DType.Name()}).", nameof(weight));
        var rows = weight.Shape[0];
        if (paddingIndex is { } p && (p >= rows || p < -rows))
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), paddingIndex, $"Embedding padding_idx must be within [-{rows}, {rows}) for {rows} embeddings.");
        if (maxNorm is { } m && !(m > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Embedding max_norm must be positive.");
        if (!(normType > 0))
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "Embedding norm_type must be positive.");
        (Weight, PaddingIndex, MaxNorm, NormType, Frozen) = (weight, paddingIndex is { } q && q < 0 ? q + rows : paddingIndex, maxNorm, normType, frozen);
    }

    /// <summary>The table, [num_embeddings, embedding_dim].</summary>
    public Tensor Weight { get; }

    /// <summary>The row that gets no gradient (made non-negative), or null.</summary>
    public long? PaddingIndex { get; }

    /// <summary>The largest norm a row looked up keeps, or null.</summary>
    public double? MaxNorm { get; }

    /// <summary>The p of the p-norm <see cref="MaxNorm"/> bounds.</summary>
    public double NormType { get; }

    /// <summary>Whether the table is a buffer (loaded and frozen) rather than a parameter.</summary>
    public bool Frozen { get; }

    /// <summary>The number of rows.</summary>
    public int NumEmbeddings => Weight.Shape[0];

    /// <summary>The length of each row.</summary>
    public int EmbeddingDim => Weight.Shape[1];

    /// <inheritdoc/>
    public override LayerParts Parts => Frozen ? new() { Buffers = [("weight", Weight)] } : new() { Parameters = [("weight", Weight)] };

    /// <summary>
    /// A table from pretrained vectors, like <c>nn.Embedding.from_pretrained</c>: frozen by default (a buffer named
    /// <c>weight</c>, as PyTorch's state dict names it, that no optimizer changes).
    /// </summary>
    /// <param name="embeddings">The vectors, [num_embeddings, embedding_dim].</param>
    /// <param name="freeze">Keep the table fixed.</param>
    /// <param name="paddingIndex">A row that gets no gradient, or null.</param>
    /// <param name="maxNorm">Rows looked up are rescaled to at most this norm, or null.</param>
    /// <param name="normType">The p of the p-norm <paramref name="maxNorm"/> bounds.</param>
    public static Embedding FromPretrained(Tensor embeddings, bool freeze = true, long? paddingIndex = null, double? maxNorm = null, double normType = 2) =>
        new(embeddings, paddingIndex, maxNorm, normType, freeze);

    /// <summary>Prints as PyTorch does: <c>Embedding(10, 3, padding_idx=0)</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"Embedding({NumEmbeddings}, {EmbeddingDim}{(PaddingIndex is { } p ? $", padding_idx={p}" : string.Empty)}{(MaxNorm is { } m ? $", max_norm={m}" : string.Empty)})");

    /// <inheritdoc/>
    protected override Layer Rebuild(LayerParts parts) =>
        new Embedding(Frozen ? parts.Buffer("weight") : parts.Parameter("weight"), PaddingIndex, MaxNorm, NormType, Frozen);

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        if (x.DType != DType.Int64)
            throw new ArgumentException($"{Describe(context.Path)} expects int64 indices but got {x.DType.Name()} {x.Shape}.", nameof(x));
        var flat = x.Reshape(x.Count);
        foreach (var index in flat.AsSpan<long>())
        {
            if (index < 0 || index >= NumEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(x), $"{Describe(context.Path)} got index {index}, outside [0, {NumEmbeddings}).");
        }
        var table = MaxNorm is { } maxNorm ? Renormed(flat, maxNorm) : Weight;
        var output = table.IndexSelect(0, flat).Reshape(new Shape([.. x.Shape.Dims, EmbeddingDim]));
        var next = ReferenceEquals(table, Weight) ? this : new Embedding(table, PaddingIndex, MaxNorm, NormType, Frozen);
        return new Traced(output, new InputTrace(x), next);
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var x = Expect<InputTrace>(trace).Input;
        ExpectGradient(Tensor.Zeros(new Shape([.. x.Shape.Dims, EmbeddingDim]), Weight.DType), dy, trace);
        var dx = inputGradient ? Tensor.Zeros(x.Shape, DType.Int64) : null;
        if (Frozen)
            return (dx, this);
        var rows = dy.Reshape(x.Count, EmbeddingDim);
        var gradient = rows.IndexAddInto(Weight.Shape, 0, x.Reshape(x.Count));
        if (PaddingIndex is { } padding)
            gradient = gradient * PaddingMask(padding);
        return (dx, new Embedding(gradient, PaddingIndex, MaxNorm, NormType, Frozen));
    }

    private static Tensor Initial(Key key, int rows, int dim, long? paddingIndex, DType dtype)
    {
        if (rows < 1 || dim < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"Embedding needs at least one row of at least one element but got [{rows}, {dim}].");
        var weight = Tensor.Normal(key, new Shape(rows, dim), dtype: dtype);
        if (paddingIndex is not { } p || p >= rows || p < -rows)
            return weight;
        var row = (int)(p < 0 ? p + rows : p);
        return Tensor.Concat([weight.Narrow(0, 0, row), Tensor.Zeros(new Shape(1, dim), dtype), weight.Narrow(0, row + 1, rows - row - 1)], 0);
    }

    /// <summary>1 for every row but the padding row, shaped to broadcast over the table.</summary>
    private Tensor PaddingMask(long padding)
    {
        var mask = new double[NumEmbeddings];
        Array.Fill(mask, 1.0);
        mask[padding] = 0;
        return Tensor.FromSpan(mask, new Shape(NumEmbeddings, 1)).To(Weight.DType);
    }

    /// <summary>The table with each row that <paramref name="indices"/> names and whose norm exceeds <paramref name="maxNorm"/> scaled by maxNorm / (norm + 1e-7), as <c>torch.embedding_renorm_</c> does; the same table when none does.</summary>
    private Tensor Renormed(Tensor indices, double maxNorm)
    {
        var table = Weight.ToFloat64Array();
        var changed = false;
        foreach (var index in indices.AsSpan<long>().ToArray().Distinct())
        {
            var row = table.AsSpan((int)index * EmbeddingDim, EmbeddingDim);
            var norm = 0.0;
            foreach (var v in row)
                norm += Math.Pow(Math.Abs(v), NormType);
            norm = Math.Pow(norm, 1 / NormType);
            if (norm <= maxNorm)
                continue;
            var scale = maxNorm / (norm + 1e-7);
            for (var j = 0; j < row.Length; j++)
                row[j] *= scale;
            changed = true;
        }
        return changed ? Tensor.FromSpan(table, Weight.Shape).To(Weight.DType) : Weight;
    }
}
