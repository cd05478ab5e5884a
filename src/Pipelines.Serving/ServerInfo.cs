namespace Pipelines.Serving;

/// <summary>What the server says about itself in the protocol's server and model metadata.</summary>
internal static class ServerInfo
{
    public const string Name = "pipelines";

    /// <summary>The platform models report: the library they run on.</summary>
    public const string Platform = "pipelines";

    /// <summary>The protocol extensions served: the binary tensor data extension.</summary>
    public static readonly string[] Extensions = ["binary_tensor_data"];

    public static string Version { get; } = typeof(ServerInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
