using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Orleans;

/// <summary>Named tensors on the wire (a model's parameters or buffers, a gradient), in the model's order.</summary>
/// <param name="Names">The names.</param>
/// <param name="Tensors">The tensors, one per name.</param>
[GenerateSerializer]
[Immutable]
internal sealed record TensorSet([property: Id(0)] string[] Names, [property: Id(1)] Tensor[] Tensors)
{
    public static TensorSet Of(NamedTensors entries) => new([.. entries.Names], [.. entries.Tensors]);

    public NamedTensors ToNamedTensors() => new(Names.Zip(Tensors, (name, tensor) => new KeyValuePair<string, Tensor>(name, tensor)));

    /// <summary>The bytes the elements take on the wire.</summary>
    public long Bytes => Tensors.Sum(t => (long)t.Count * t.DType.Size());
}
