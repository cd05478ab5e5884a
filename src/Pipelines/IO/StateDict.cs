using System.Collections.Immutable;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>
/// PyTorch's <c>state_dict</c> / <c>load_state_dict</c> for layers: parameters by name, saved to and
/// loaded from safetensors. Loading returns a new model and leaves the old one as it was.
/// </summary>
public static class StateDict
{
    /// <summary>The model's parameters and buffers by name, as PyTorch's <c>state_dict()</c>.</summary>
    public static ImmutableSortedDictionary<string, Tensor> Of(Layer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Entries(model).ToImmutableSortedDictionary(StringComparer.Ordinal);
    }

    /// <summary>Writes the model's parameters to a safetensors file, atomically.</summary>
    public static void Save(string path, Layer model, IEnumerable<KeyValuePair<string, string>>? metadata = null) =>
        SafeTensors.Save(path, Of(model), metadata);

    /// <summary>
    /// The model with its parameters replaced by the file's entries of the same names, each converted to the
    /// parameter's dtype (F16 and BF16 exactly). Strict (the default): every parameter must be present and
    /// every entry used. Lenient: missing parameters keep their values and unused entries are ignored. Shapes
    /// must always match. On any mismatch nothing is loaded and <see cref="StateDictMismatchException"/> lists them all.
    /// </summary>
    public static T Load<T>(T model, SafeTensorsFile file, bool strict = true)
        where T : Layer
    {
        ArgumentNullException.ThrowIfNull(file);
        return Load(model, file.Tensors.ToDictionary(e => e.Key, e => (e.Value.Shape, Convert: (Func<DType, Tensor>)e.Value.ToTensor)), strict);
    }

    /// <summary>Like <see cref="Load{T}(T, SafeTensorsFile, bool)"/> for tensors already in memory.</summary>
    public static T Load<T>(T model, IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
        where T : Layer
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        return Load(model, stateDict.ToDictionary(e => e.Key, e => (e.Value.Shape, Convert: (Func<DType, Tensor>)e.Value.To)), strict);
    }

    /// <summary>Reads a safetensors file and loads it into the model, returning any failure as a value.</summary>
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
        catch (StateDictMismatchException e)
        {
            return Result.Fail<T>(Failure.From(e));
        }
    }

    private static T Load<T>(T model, Dictionary<string, (Shape Shape, Func<DType, Tensor> Convert)> entries, bool strict)
        where T : Layer
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = Entries(model).ToList();
        var names = parameters.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var missing = parameters.Where(p => !entries.ContainsKey(p.Key)).Select(p => p.Key).ToImmutableArray();
        var unexpected = entries.Keys.Where(k => !names.Contains(k)).Order(StringComparer.Ordinal).ToImmutableArray();
        var mismatches = parameters
            .Where(p => entries.TryGetValue(p.Key, out var entry) && entry.Shape != p.Value.Shape)
            .Select(p => DescribeMismatch(p.Key, p.Value.Shape, entries[p.Key].Shape))
            .ToImmutableArray();
        if (!mismatches.IsEmpty || (strict && (!missing.IsEmpty || !unexpected.IsEmpty)))
            throw new StateDictMismatchException(strict ? missing : [], strict ? unexpected : [], mismatches);
        Tensor Replace(string name, Tensor current) => entries.TryGetValue(name, out var entry) ? entry.Convert(current.DType) : current;
        return (T)model.MapParameters(Replace).MapBuffers(Replace);
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
}
