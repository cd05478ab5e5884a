using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>Where a run is: enough to continue it exactly, and its evaluation history (so stopping and selection replay).</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="Epoch">The epoch the next step belongs to.</param>
/// <param name="Position">Examples of that epoch already trained on.</param>
/// <param name="Key">The run's key, as its 64 bits.</param>
/// <param name="Evaluations">Every evaluation so far, in order.</param>
/// <param name="BestStep">The step of the best evaluation by the early-stopping monitor, if any.</param>
public sealed record TrainingProgress(long Step, int Epoch, long Position, ulong Key, ImmutableArray<EvaluationReport> Evaluations, long? BestStep);

/// <summary>
/// A run's state after a step: the model with its buffers, the optimizer's state, the best model so far (when early
/// stopping restores it) and the progress. Written as one safetensors file (<c>model.</c>, <c>optimizer.</c> and
/// <c>best.</c> entries; the progress as JSON in the metadata), atomically, so a killed run leaves the previous
/// checkpoint whole. Its size depends on the model, never on the data set: orders are recomputed from the key.
/// </summary>
/// <typeparam name="TModel">The model's type.</typeparam>
/// <param name="Model">The model.</param>
/// <param name="State">The optimizer's state.</param>
/// <param name="Best">The best model so far, or null.</param>
/// <param name="Progress">Where the run is.</param>
public sealed record TrainingCheckpoint<TModel>(TModel Model, OptimizerState State, TModel? Best, TrainingProgress Progress)
    where TModel : Layer
{
    /// <summary>Writes the checkpoint to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file.</param>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var tensors = StateDict.Of(Model).Select(e => KeyValuePair.Create("model." + e.Key, e.Value))
            .Concat(OptimizerStates.ToTensors(State).Select(e => KeyValuePair.Create("optimizer." + e.Key, e.Value)))
            .Concat(Best is null ? [] : StateDict.Of(Best).Select(e => KeyValuePair.Create("best." + e.Key, e.Value)));
        SafeTensors.Save(path, tensors, [KeyValuePair.Create(TrainingCheckpoint.ProgressKey, TrainingCheckpoint.WriteProgress(Progress))]);
    }
}

/// <summary>Reads training checkpoints (<see cref="TrainingCheckpoint{TModel}.Save"/> writes them).</summary>
public static class TrainingCheckpoint
{
    /// <summary>The metadata entry that holds the progress, as JSON.</summary>
    internal const string ProgressKey = "pipelines.training";

    /// <summary>
    /// The checkpoint in <paramref name="path"/>, its tensors loaded into copies of <paramref name="model"/> and of the
    /// state <paramref name="optimizer"/> makes for it; every mismatch is an error naming it.
    /// </summary>
    /// <typeparam name="TModel">The model's type.</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="model">A model of the checkpoint's structure (its values are not used).</param>
    /// <param name="optimizer">The run's optimizer (its state's structure is checked against the file).</param>
    public static TrainingCheckpoint<TModel> Load<TModel>(string path, TModel model, GradientTransformation optimizer)
        where TModel : Layer
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var file = SafeTensors.Load(path);
        if (!file.Metadata.TryGetValue(ProgressKey, out var progress))
            throw new SafeTensorsFormatException($"{path} is a safetensors file but not a training checkpoint: its metadata has no '{ProgressKey}'.");
        Dictionary<string, Tensor> Part(string prefix) => file.Tensors
            .Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Key[prefix.Length..], e => e.Value.ToTensor(), StringComparer.Ordinal);
        var loaded = StateDict.Load(model, Part("model."));
        var best = Part("best.");
        return new TrainingCheckpoint<TModel>(
            loaded,
            OptimizerStates.Restore(optimizer.Init(loaded), Part("optimizer.")),
            best.Count == 0 ? null : StateDict.Load(model, best),
            ReadProgress(progress, path));
    }

    internal static string WriteProgress(TrainingProgress progress)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", progress.Step);
            json.WriteNumber("epoch", progress.Epoch);
            json.WriteNumber("position", progress.Position);
            json.WriteString("key", progress.Key.ToString("X16", CultureInfo.InvariantCulture));
            if (progress.BestStep is { } best)
                json.WriteNumber("best_step", best);
            json.WriteStartArray("evaluations");
            foreach (var evaluation in progress.Evaluations)
            {
                json.WriteStartObject();
                json.WriteNumber("step", evaluation.Step);
                json.WriteNumber("epoch", evaluation.Epoch);
                json.WriteNumber("elapsed_ms", evaluation.Elapsed.TotalMilliseconds);
                json.WriteStartObject("metrics");
                foreach (var (name, value) in evaluation.Metrics)
                {
                    // JSON has no NaN or ∞; they are written as strings and read back.
                    if (double.IsFinite(value))
                        json.WriteNumber(name, value);
                    else
                        json.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static TrainingProgress ReadProgress(string text, string path)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var evaluations = root.GetProperty("evaluations").EnumerateArray().Select(e => new EvaluationReport(
                e.GetProperty("step").GetInt64(),
                e.GetProperty("epoch").GetInt32(),
                TimeSpan.FromMilliseconds(e.GetProperty("elapsed_ms").GetDouble()),
                e.GetProperty("metrics").EnumerateObject().ToImmutableSortedDictionary(
                    m => m.Name,
                    m => m.Value.ValueKind == JsonValueKind.String ? double.Parse(m.Value.GetString()!, CultureInfo.InvariantCulture) : m.Value.GetDouble(),
                    StringComparer.Ordinal)));
            return new TrainingProgress(
                root.GetProperty("step").GetInt64(),
                root.GetProperty("epoch").GetInt32(),
                root.GetProperty("position").GetInt64(),
                ulong.Parse(root.GetProperty("key").GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                [.. evaluations],
                root.TryGetProperty("best_step", out var best) ? best.GetInt64() : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new SafeTensorsFormatException($"{path} is not a valid training checkpoint: its progress record cannot be read ({e.Message}).", e);
        }
    }
}
