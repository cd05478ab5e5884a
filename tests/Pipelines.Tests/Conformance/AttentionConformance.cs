using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// A composite that runs attention with a separate key and value (its parameters here, so their gradients are the
/// reference's dkey and dvalue) and masks, or self-attention with masks, through the multi-input forward.
/// </summary>
public sealed partial record AttentionProbe : DerivedLayer
{
    public AttentionProbe(Layer inner, Tensor key, Tensor value, Tensor? padding, Tensor? mask, bool causal, bool cross)
    {
        (Inner, Key, Value, Padding, Mask, Causal, Cross) = (inner, key, value, padding, mask, causal, cross);
    }

    public Layer Inner { get; init; }

    public Tensor Key { get; init; }

    public Tensor Value { get; init; }

    public Tensor? Padding { get; }

    public Tensor? Mask { get; }

    public bool Causal { get; }

    public bool Cross { get; }

    protected override Variable Forward(Variable x, Tape tape) => Inner switch
    {
        MultiheadAttention attention when Cross => attention.Forward(tape, x, tape.Parameter(Key), tape.Parameter(Value), Padding, Mask, Causal),
        MultiheadAttention attention => attention.Forward(tape, x, x, x, Padding, Mask, Causal),
        TransformerEncoderLayer encoder => encoder.Forward(tape, x, Mask, Padding, Causal),
        _ => throw new InvalidOperationException(),
    };
}

/// <summary>
/// Every case of <c>attention.safetensors</c>, written by PyTorch: MultiheadAttention as a layer (self-attention, with
/// and without bias, batch first or not) and through its multi-input forward (cross-attention with a key padding mask
/// and an additive mask, a causal mask), its averaged attention weights, and TransformerEncoderLayer post-norm with ReLU
/// and pre-norm with GELU and a key padding mask. Each layer loads PyTorch's state dict by PyTorch's names and has
/// exactly those names and shapes itself; forward, input gradients and every parameter gradient by name, in float64 and float32.
/// </summary>
public sealed class AttentionConformance
{
    private const string FileName = "attention.safetensors";

    public static TheoryData<string> Cases() => GoldenFiles.CaseNames(FileName);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_gradients_and_state_dict_match_PyTorch(string name)
    {
        var file = GoldenFiles.Load(FileName);
        var d = GoldenFiles.Cases(FileName)[name];
        Tensor Get(string key) => file.Tensor($"{name}.{key}");
        bool Flag(string key) => d.GetProperty(key).GetBoolean();
        int Int(string key) => d.GetProperty(key).GetInt32();
        var state = file.Tensors.Keys.Where(k => k.StartsWith($"{name}.state.", StringComparison.Ordinal)).ToDictionary(k => k[$"{name}.state.".Length..], k => file.Tensor(k));
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            Layer fresh = d.GetProperty("layer").GetString() == "multihead_attention"
                ? new MultiheadAttention(new Key(1), Int("embed_dim"), Int("num_heads"), bias: Flag("bias"), batchFirst: Flag("batch_first"), dtype: dtype)
                : new TransformerEncoderLayer(new Key(1), Int("embed_dim"), Int("num_heads"), Int("dim_feedforward"), dropout: 0, activation: d.GetProperty("activation").GetString() == "gelu" ? TransformerActivation.Gelu : TransformerActivation.Relu, batchFirst: Flag("batch_first"), normFirst: Flag("norm_first"), dtype: dtype);
            var expectedNames = d.GetProperty("state_dict").EnumerateObject().ToDictionary(p => p.Name, p => new Shape([.. p.Value.EnumerateArray().Select(e => e.GetInt32())]));
            Assert.Equal(expectedNames.OrderBy(p => p.Key, StringComparer.Ordinal), StateDict.Of(fresh).Select(p => KeyValuePair.Create(p.Key, p.Value.Shape)).OrderBy(p => p.Key, StringComparer.Ordinal));
            var layer = StateDict.Load(fresh, state.ToDictionary(p => p.Key, p => p.Value.To(dtype)));
            var query = Get("query").To(dtype);
            var cross = d.TryGetProperty("cross", out var c) && c.GetBoolean();
            var masks = Flag("masks");
            var causal = d.TryGetProperty("is_causal", out var k) && k.GetBoolean();
            var padding = masks ? Get("key_padding_mask").To(dtype) : null;
            var mask = masks && d.GetProperty("layer").GetString() == "multihead_attention" ? Get("attn_mask").To(dtype) : null;
            var probe = cross || masks || causal
                ? new AttentionProbe(layer, cross ? Get("key").To(dtype) : query, cross ? Get("value").To(dtype) : query, padding, mask, causal, cross)
                : null;
            var model = probe ?? layer;
            var traced = model.Forward(query, ForwardContext.Training(new Key(2)));
            var (dx, gradient) = model.Backward(traced.Trace, Get("dy").To(dtype));
            var reduction = Int("embed_dim") * query.Shape[Flag("batch_first") ? 1 : 0];
            Tolerance.Close(Get("y"), traced.Output, reduction, $"{name}.y", 1e-10);
            Tolerance.Close(Get("dquery"), dx, reduction, $"{name}.dquery", 1e-10);
            var inner = probe is null ? gradient : ((AttentionProbe)gradient).Inner;
            var named = inner.NamedParameters();
            foreach (var key in expectedNames.Keys)
                Tolerance.Close(Get($"grad.{key}"), named[key], reduction * query.Shape[Flag("batch_first") ? 0 : 1], $"{name}.grad.{key}", 1e-10);
            if (cross)
            {
                Tolerance.Close(Get("dkey"), ((AttentionProbe)gradient).Key, reduction, $"{name}.dkey", 1e-10);
                Tolerance.Close(Get("dvalue"), ((AttentionProbe)gradient).Value, reduction, $"{name}.dvalue", 1e-10);
            }
            if (layer is MultiheadAttention attention)
            {
                var weights = attention.AttentionWeights(query, cross ? Get("key").To(dtype) : query, padding, mask, causal);
                Tolerance.Close(Get("weights"), weights, reduction, $"{name}.weights", 1e-10);
            }
        }
    }

    [Fact]
    public void Attention_refuses_inputs_and_masks_of_the_wrong_shape_naming_itself()
    {
        var attention = new MultiheadAttention(new Key(3), 8, 2, batchFirst: true);
        var model = new Chain([new Identity(), attention]);
        Assert.Contains("MultiheadAttention '1' expects query [N, L, 8] but got [2, 3, 6]", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Ones(new Shape(2, 3, 6)))).Message, StringComparison.Ordinal);
        var probe = new AttentionProbe(attention, Tensor.Ones(new Shape(2, 3, 8)), Tensor.Ones(new Shape(2, 3, 8)), Tensor.Zeros(new Shape(2, 4)), null, causal: false, cross: true);
        Assert.Contains("key_padding_mask must be [2, 3] but got [2, 4]", Assert.Throws<ArgumentException>(() => probe.Forward(Tensor.Ones(new Shape(2, 3, 8)))).Message, StringComparison.Ordinal);
        Assert.Contains("embed_dim 8 must be divisible by num_heads, but got 3 heads", Assert.Throws<ArgumentException>(() => new MultiheadAttention(new Key(3), 8, 3)).Message, StringComparison.Ordinal);
    }

}
