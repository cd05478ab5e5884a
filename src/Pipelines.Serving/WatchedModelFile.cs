using Pipelines.IO;

namespace Pipelines.Serving;

/// <summary>
/// Swaps a served model whenever its safetensors file is written: the file's weights load into the architecture of the
/// version now served, and <see cref="IInferenceModels.Swap"/> checks them before they go live. Writes come as bursts of
/// events (a save writes a temporary file and renames it), so a reload waits until the file has been quiet for
/// <see cref="Settle"/>; what fails to load is kept as <see cref="LastFailure"/> and changes nothing.
/// </summary>
internal sealed class WatchedModelFile : IDisposable
{
    /// <summary>How long the file must go unwritten before it is read.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    private readonly InferenceModels _models;
    private readonly string _name;
    private readonly string _path;
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _quiet;
    private readonly Lock _reloading = new();

    public WatchedModelFile(InferenceModels models, string name, string path)
    {
        (_models, _name, _path) = (models, name, Path.GetFullPath(path));
        _quiet = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path)) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
        _watcher.Changed += (_, _) => Restart();
        _watcher.Created += (_, _) => Restart();
        _watcher.Renamed += (_, e) =>
        {
            if (string.Equals(e.FullPath, _path, StringComparison.Ordinal))
                Restart();
        };
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>Why the last write of the file was not served, or null when the last one was (or none came yet).</summary>
    public string? LastFailure { get; private set; }

    public void Dispose()
    {
        _watcher.Dispose();
        _quiet.Dispose();
    }

    private void Restart() => _quiet.Change(Settle, Timeout.InfiniteTimeSpan);

    private void Reload()
    {
        lock (_reloading)
        {
            if (_models.Find(_name) is not { } current)
                return;
            var loaded = StateDict.TryLoad(current.Model, _path);
            if (!loaded.IsSuccess)
            {
                LastFailure = $"{_path} could not be loaded into model '{_name}': {loaded.Failure!.Message}";
                return;
            }
            try
            {
                _models.Swap(_name, loaded.Value);
                LastFailure = null;
            }
            catch (ArgumentException e)
            {
                LastFailure = $"{_path} was not swapped in for model '{_name}': {e.Message}";
            }
        }
    }
}
