using FsCheck;
using FsCheck.Xunit;
using Pipelines.Layers;
using Pipelines.Tensors;
using Kit = Pipelines.Testing.LayerLaws;

namespace Pipelines.Properties.Layers;

/// <summary>The testing kit's laws on the package's attention layers, batch first so that the generated leading axis is the batch.</summary>
[Properties(MaxTest = 25)]
public sealed class AttentionLaws
{
    private static readonly MultiheadAttention Attention = new(new Key(1), 8, 2, batchFirst: true);
    private static readonly TransformerEncoderLayer Encoder = new(new Key(2), 8, 2, dimFeedforward: 12, dropout: 0.2, batchFirst: true);
    private static readonly TransformerEncoderLayer PreNorm = new(new Key(3), 8, 4, dimFeedforward: 6, dropout: 0, activation: TransformerActivation.Gelu, batchFirst: true, normFirst: true);
    private static readonly Shape Sequence = new(3, 8);

    [Property]
    public Property Attention_gradients_match_central_differences() =>
        Kit.Gradients(Attention, Sequence, minLeadingRank: 1, maxLeadingRank: 1);

    [Property]
    public Property Encoder_gradients_match_central_differences_with_dropout() =>
        Kit.Gradients(Encoder, Sequence, minLeadingRank: 1, maxLeadingRank: 1);

    [Property]
    public Property Pre_norm_encoder_gradients_match_central_differences() =>
        Kit.Gradients(PreNorm, Sequence, minLeadingRank: 1, maxLeadingRank: 1);

    [Property]
    public Property Attention_keeps_batch_rows_apart() =>
        Kit.BatchInvariant(Attention, Sequence);

    [Property]
    public Property Encoder_keeps_batch_rows_apart() =>
        Kit.BatchInvariant(PreNorm, Sequence);

    [Property]
    public Property Encoder_runs_only_its_parts() =>
        Kit.PathsAreParts(Encoder, Sequence, minLeadingRank: 1, maxLeadingRank: 1);

    [Property]
    public Property Encoder_draws_from_the_key() =>
        Kit.KeyDeterminesRandomness(Encoder, Sequence, draws: true, maxLeadingRank: 1);

    [Property]
    public Property Encoder_state_dict_round_trips() =>
        Kit.StateDictRoundTrip(Encoder, Sequence);
}
