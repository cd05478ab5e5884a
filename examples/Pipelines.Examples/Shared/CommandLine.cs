using System.Globalization;

namespace Pipelines.Examples;

/// <summary>A subcommand's arguments: <c>--name value</c> pairs and flags, read with defaults.</summary>
public sealed class CommandLine(IReadOnlyList<string> args)
{
    /// <summary>The value after <c>--<paramref name="name"/></c>, or <paramref name="fallback"/>.</summary>
    public int Int(string name, int fallback) => Text(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The value after <c>--<paramref name="name"/></c>, or <paramref name="fallback"/>.</summary>
    public double Double(string name, double fallback) => Text(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The value after <c>--<paramref name="name"/></c>, or <paramref name="fallback"/>.</summary>
    public string String(string name, string fallback) => Text(name) ?? fallback;

    /// <summary>Whether <c>--<paramref name="name"/></c> is present.</summary>
    public bool Flag(string name) => args.Contains("--" + name);

    private string? Text(string name)
    {
        var at = args.ToList().IndexOf("--" + name);
        return at >= 0 && at + 1 < args.Count ? args[at + 1] : null;
    }
}
