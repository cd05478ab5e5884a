using System.Collections.Immutable;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>
/// PyTorch's <c>state_dict</c> / <c>load_state_dict</c> for layers: parameters and buffers by name, saved to and loaded
/// from safetensors. Loading returns a new model and leaves the old one as it was.
/// </summary>
public static class StateDict
{
    /// <summary>The model's parameters and buffers by name, as PyTorch's <c>state_dict()</c>.</summary>
    /// <param name="model">The model.</param>
    public static ImmutableSortedDictionary<string, Tensor> Of(Layer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Entries(model).ToImmutableSortedDictionary(StringComparer.Ordinal);
    }

    /// <summary>Writes the model's parameters and buffers to a safetensors file, atomically, streaming each tensor from its storage.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="model">The model.</param>
    /// <param name="metadata">String metadata, or null for none.</param>
    /// <param name="checksum">Record the data's SHA-256 in the metadata, for Load to verify.</param>
    public static void Save(string path, Layer model, IEnumerable<KeyValuePair<string, string>>? metadata = null, bool checksum = false) =>
        SafeTensors.Save(path, Of(model), metadata, checksum);

    /// <summary>
    /// The model with its parameters and buffers replaced by the file's entries of the same names, each converted to the
    /// model's dtype: floats by rounding once (as PyTorch's <c>copy_</c>), integers only when exact. Strict (the default):
    /// every name must be present and every entry used. Lenient: missing names keep their values and unused entries are
    /// ignored. Shapes must always match. On any mismatch nothing is loaded and <see cref="StateDictMismatchException"/> lists them all.
    /// </summary>
    /// <typeparam name="T">The model's type.</typeparam>
    /// <param name="model">The model whose structure and dtypes the entries fill.</param>
    /// <param name="file">The file's contents.</param>
    /// <param name="strict">Whether every name must match both ways.</param>
    public static T Load<T>(T model, SafeTensorsFile file, bool strict = true)
        where T : Layer
    {
        ArgumentNullException.ThrowIfNull(file);
        return Load(model, file.Tensors.ToDictionary(e => e.Key, e => new Entry(e.Value.Shape, e.Value.TryConvert)), strict);
    }

    /// <summary>Like <see cref="Load{T}(T, SafeTensorsFile, bool)"/> for tensors already in memory.</summary>
    /// <typeparam name="T">The model's type.</typeparam>
    /// <param name="model">The model whose structure and dtypes the entries fill.</param>
    /// <param name="stateDict">The tensors by name.</param>
    /// <param name="strict">Whether every name must match both ways.</param>
    public static T Load<T>(T model, IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
        where T : Layer
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        return Load(model, stateDict.ToDictionary(e => e.Key, e => new Entry(e.Value.Shape, SafeTensor.FromTensor(e.Value).TryConvert)), strict);
    }

    /// <summary>Reads a safetensors file and loads it into the model; any failure (the file, a mismatch) comes back as a value, never as an exception.</summary>
    /// <typeparam name="T">The model's type.</typeparam>
    /// <param name="model">The model whose structure and dtypes the entries fill.</param>
    /// <param name="path">The file.</param>
    /// <param name="strict">Whether every name must match both ways.</param>
    public static Result<T> TryLoad<T>(T model, string path, bool strict = true)
        where T : Layer
    {
        var file = SafeTensors.TryLoad(path);
        if (!file.IsSuccess)
            return Result.Fail<T>(file.Failure);
        try
        {
            return Result.Success(Load(model, file.Value, strict));
        }
        catch (ArgumentException e)
        {
            return Result.Fail<T>(Failure.From(e));
        }
    }

    private static T Load<T>(T model, Dictionary<string, Entry> entries, bool strict)
        where T : Layer
    {
        ArgumentNullException.ThrowIfNull(model);
        var targets = Entries(model).ToList();
        var names = targets.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var missing = targets.Where(p => !entries.ContainsKey(p.Key)).Select(p => p.Key).ToImmutableArray();
        var unexpected = entries.Keys.Where(k => !names.Contains(k)).Order(StringComparer.Ordinal).ToImmutableArray();
        var shapes = ImmutableArray.CreateBuilder<string>();
        var conversions = ImmutableArray.CreateBuilder<string>();
        var converted = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, current) in targets)
        {
            if (!entries.TryGetValue(name, out var entry))
                continue;
            if (entry.Shape != current.Shape)
                shapes.Add(DescribeMismatch(name, current.Shape, entry.Shape));
            else if (entry.Convert(current.DType, out var tensor, out var problem))
                converted[name] = tensor;
            else
                conversions.Add($"'{name}' for {current.DType.Name()}: {problem}");
        }
        if (shapes.Count > 0 || conversions.Count > 0 || (strict && (!missing.IsEmpty || !unexpected.IsEmpty)))
            throw new StateDictMismatchException(strict ? missing : [], strict ? unexpected : [], shapes.ToImmutable(), conversions.ToImmutable());
        return (T)model.MapTensors((name, current) => converted.TryGetValue(name, out var tensor) ? tensor : current);
    }

    private static IEnumerable<KeyValuePair<string, Tensor>> Entries(Layer model) => model.NamedParameters().Concat(model.NamedBuffers());

    private static string DescribeMismatch(string name, Shape expected, Shape given)
    {
        var line = $"'{name}' expects {expected} but the state dict has {given}";
        var transposed = expected.Rank == 2 && given.Rank == 2 && expected[0] != expected[1] && expected[0] == given[1] && expected[1] == given[0];
        return transposed
            ? line + " (weight appears transposed: Linear weights are [out_features, in_features], as PyTorch stores them)"
            : line;
    }

    /// <summary>An entry's shape and its exact conversion to a dtype.</summary>
    private sealed record Entry(Shape Shape, Conversion Convert);

    private delegate bool Conversion(DType dtype, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Tensor? tensor, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem);
}
