using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Examples.Layers;

/// <summary>Token embeddings plus learned position embeddings: [batch, sequence] int64 tokens give [batch, sequence, model]. Written forward-only.</summary>
public sealed partial record TokensAndPositions(Embedding Tokens, Embedding Positions) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape)
    {
        var length = x.Shape[-1];
        if (length > Positions.NumEmbeddings)
            throw new ArgumentException($"{Describe(tape.Path)} has {Positions.NumEmbeddings} positions but got a sequence of {length}.", nameof(x));
        return tape.Call(Tokens, x) + tape.Call(Positions, Tensor.Arange(length, DType.Int64));
    }
}
