using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>The contents of a safetensors file: named entries and the optional string-to-string metadata.</summary>
public sealed record SafeTensorsFile
{
    /// <summary>A file value from named entries and metadata.</summary>
    /// <param name="tensors">The entries by name.</param>
    /// <param name="metadata">String metadata, or null for none.</param>
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

    /// <summary>A file of float and int64 tensors, stored as F32, F64 or I64 by their dtype (each entry holds the tensor itself).</summary>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">String metadata, or null for none.</param>
    public static SafeTensorsFile FromTensors(IEnumerable<KeyValuePair<string, Tensor>> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return new SafeTensorsFile(tensors.Select(t => KeyValuePair.Create(t.Key, SafeTensor.FromTensor(t.Value))), metadata);
    }

    /// <summary>The entry <paramref name="name"/> as a tensor of its natural type, or an error naming what the file holds.</summary>
    /// <param name="name">The entry's name.</param>
    public Tensor Tensor(string name) => Tensors.TryGetValue(name, out var entry)
        ? entry.ToTensor()
        : throw new KeyNotFoundException($"The file has no tensor named {SafeTensorsHeader.Quote(name)}; it has {Tensors.Count} tensors ({string.Join(", ", Tensors.Keys.Take(10).Select(SafeTensorsHeader.Quote))}{(Tensors.Count > 10 ? ", …" : string.Empty)}).");

    /// <summary>This file with one metadata entry set.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    public SafeTensorsFile WithMetadata(string key, string value) => new(Tensors, Metadata.SetItem(key, value));
}
