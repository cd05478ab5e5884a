using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>The contents of a safetensors file: named entries and the optional string-to-string metadata.</summary>
public sealed record SafeTensorsFile
{
    /// <summary>A file value from named entries and metadata.</summary>
    public SafeTensorsFile(IEnumerable<KeyValuePair<string, SafeTensor>> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Tensors = tensors.ToImmutableSortedDictionary(StringComparer.Ordinal);
        Metadata = (metadata ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal);
        if (Tensors.ContainsKey(SafeTensors.MetadataKey))
            throw new ArgumentException($"'{SafeTensors.MetadataKey}' is reserved for metadata and cannot name a tensor.", nameof(tensors));
    }

    /// <summary>The entries by name, in ordinal order.</summary>
    public ImmutableSortedDictionary<string, SafeTensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when the file has none).</summary>
    public ImmutableSortedDictionary<string, string> Metadata { get; }

    /// <summary>A file of float tensors, stored as F32 or F64 by their dtype.</summary>
    public static SafeTensorsFile FromTensors(IEnumerable<KeyValuePair<string, Tensor>> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return new SafeTensorsFile(tensors.Select(t => KeyValuePair.Create(t.Key, SafeTensor.FromTensor(t.Value))), metadata);
    }

    /// <summary>The entry <paramref name="name"/> as a tensor of its natural type, or an error naming what the file holds.</summary>
    public Tensor Tensor(string name) => Tensors.TryGetValue(name, out var entry)
        ? entry.ToTensor()
        : throw new KeyNotFoundException($"The file has no tensor named '{name}'; it has {Tensors.Count} tensors ({string.Join(", ", Tensors.Keys.Take(10))}{(Tensors.Count > 10 ? ", …" : string.Empty)}).");
}
