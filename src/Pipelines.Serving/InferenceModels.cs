using System.Collections.Concurrent;
using System.Globalization;
using Pipelines.Layers;

namespace Pipelines.Serving;

/// <summary>The served models and their current versions; disposing it (with the host) completes every pipeline after its last answer.</summary>
internal sealed class InferenceModels : IInferenceModels, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ServedModel> _current = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly List<ServedModel> _retired = [];
    private readonly Dictionary<string, WatchedModelFile> _watched = new(StringComparer.Ordinal);
    private readonly Lock _swapping = new();

    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_swapping)
                return [.. _names];
        }
    }

    public void Add(string name, Layer model, ServedModelOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        lock (_swapping)
        {
            if (_current.ContainsKey(name))
                throw new ArgumentException($"A model named '{name}' is already served; names must differ.", nameof(name));
            _current[name] = ServedModel.Create(name, options.Version, model, options);
            _names.Add(name);
            if (options.WatchFile is { } path)
                _watched[name] = new WatchedModelFile(this, name, path);
        }
    }

    /// <summary>Why the watched file of <paramref name="name"/> was last not served, or null.</summary>
    public string? WatchFailure(string name)
    {
        lock (_swapping)
            return _watched.GetValueOrDefault(name)?.LastFailure;
    }

    /// <summary>The model of <paramref name="name"/>, or null when none is served under it.</summary>
    public ServedModel? Find(string name) => _current.GetValueOrDefault(name);

    /// <summary>
    /// The current version of <paramref name="name"/>, counted in for one request (leave it with
    /// <see cref="ServedModel.Leave"/>), or null for an unknown name.
    /// </summary>
    public ServedModel? Enter(string name)
    {
        while (_current.TryGetValue(name, out var model))
        {
            // A swap between the read and the entry retires the model read: take the new one.
            if (model.TryEnter())
                return model;
        }
        return null;
    }

    public string VersionOf(string name) => Find(name)?.Version ?? throw new KeyNotFoundException($"No model named '{name}' is served (served: {string.Join(", ", Names)}).");

    public string Swap(string name, Layer model)
    {
        lock (_swapping)
        {
            var old = Find(name) ?? throw new KeyNotFoundException($"No model named '{name}' is served (served: {string.Join(", ", _names)}).");
            var version = long.TryParse(old.Version, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                ? (number + 1).ToString(CultureInfo.InvariantCulture)
                : old.Version + "+1";
            var next = ServedModel.Create(name, version, model, old.Options with { Version = version }, replacing: old);
            _current[name] = next;
            old.Retire();
            _retired.Add(old);
            _retired.RemoveAll(r => r.Drained.IsCompleted);
            return version;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ServedModel> all;
        lock (_swapping)
        {
            foreach (var watched in _watched.Values)
                watched.Dispose();
            all = [.. _current.Values, .. _retired];
        }
        foreach (var model in all)
            model.Retire();
        await Task.WhenAll(all.Select(m => m.Drained)).ConfigureAwait(false);
    }
}
