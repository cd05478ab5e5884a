using Pipelines.Dataflow;
using Pipelines.Tensors;

namespace Pipelines.Serving;

/// <summary>
/// What a served model takes and how it is batched: the shape of one example (without the batch axis), its element type,
/// the names its input and output go by in the protocol, and the in-process pipeline's batching options.
/// </summary>
public sealed record ServedModelOptions
{
    /// <summary>One example's shape without the batch axis, e.g. [64] for an MLP on 8×8 digits.</summary>
    public required Shape InputShape { get; init; }

    /// <summary>The input's element type.</summary>
    public DType InputType { get; init; } = DType.Float32;

    /// <summary>The input tensor's name in requests and metadata.</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The output tensor's name in answers and metadata.</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>The first version's name; each swap counts up from it when it is a number.</summary>
    public string Version { get; init; } = "1";

    /// <summary>Batching, queue and parallelism of the model's pipeline.</summary>
    public InferenceOptions Inference { get; init; } = new();

    /// <summary>
    /// A safetensors file to watch: whenever it is written, its weights are loaded into the served model's architecture
    /// and, once checked, swapped in as the next version. A file that fails to load (a partial write, another
    /// architecture) changes nothing; readiness reports it as degraded until a good one arrives. Null watches nothing.
    /// </summary>
    public string? WatchFile { get; init; }

    /// <summary>The most examples one request may hold; a larger request is refused before anything runs.</summary>
    public int MaxExamplesPerRequest { get; init; } = 1024;
}
