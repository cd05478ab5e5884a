using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipelines.Benchmarks;

/// <summary>
/// Runs a reference script from Reference/ on <c>/usr/bin/python3</c>: the request as JSON on stdin, one JSON object per
/// line back. OpenBLAS runs at its best kernel (this machine's environment forces a slower one through
/// <c>OPENBLAS_CORETYPE</c> and <c>OPENBLAS_L2_SIZE</c>, removed here only). Installs nothing: when the interpreter or a
/// module is missing it says what to install and returns no rows.
/// </summary>
internal static class PythonReference
{
    private const string Python = "/usr/bin/python3";

    public static List<JsonObject> Run(string script, JsonNode request, IReadOnlyDictionary<string, string> environment, string install)
    {
        var rows = new List<JsonObject>();
        if (!File.Exists(Python))
        {
            Console.Error.WriteLine($"{Python} not found: reference columns are empty ({install}).");
            return rows;
        }
        var start = new ProcessStartInfo(Python, Path.Combine(AppContext.BaseDirectory, "Reference", script))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.Write(request.ToJsonString());
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The script ended before reading its request (a missing module stops it at its imports): its exit code
            // and its errors below say why.
        }
        while (process.StandardOutput.ReadLine() is { } line)
            rows.Add(JsonNode.Parse(line)!.AsObject());
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var message = errors.Result.Trim();
            Console.Error.WriteLine(message.Contains("ModuleNotFoundError", StringComparison.Ordinal)
                ? $"The reference needs a Python module that is missing ({install}): {message.Split('\n')[^1]}"
                : $"The reference {script} failed ({process.ExitCode}): {message}");
        }
        return rows;
    }

    /// <summary>How the rows print: plain JSON, non-ASCII kept.</summary>
    public static JsonSerializerOptions Printing { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
