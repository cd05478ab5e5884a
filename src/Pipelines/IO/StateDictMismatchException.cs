using System.Collections.Immutable;

namespace Pipelines.IO;

/// <summary>
/// A state dict that does not fit a model: every missing key, unexpected key and shape mismatch is
/// listed in the message and in the properties, so one attempt shows everything to fix.
/// </summary>
public sealed class StateDictMismatchException : ArgumentException
{
    /// <summary>Creates the exception from what did not match.</summary>
    public StateDictMismatchException(ImmutableArray<string> missing, ImmutableArray<string> unexpected, ImmutableArray<string> shapeMismatches)
        : base(Describe(missing, unexpected, shapeMismatches))
    {
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public StateDictMismatchException()
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    public StateDictMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public StateDictMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Parameters of the model that the state dict lacks.</summary>
    public ImmutableArray<string> Missing { get; } = [];

    /// <summary>Keys of the state dict that name no parameter of the model.</summary>
    public ImmutableArray<string> Unexpected { get; } = [];

    /// <summary>One line per parameter whose shape differs: name, expected and given shape.</summary>
    public ImmutableArray<string> ShapeMismatches { get; } = [];

    private static string Describe(ImmutableArray<string> missing, ImmutableArray<string> unexpected, ImmutableArray<string> shapeMismatches)
    {
        var parts = new List<string> { "The state dict does not fit the model." };
        if (!missing.IsEmpty)
            parts.Add($"Missing keys: {string.Join(", ", missing)}.");
        if (!unexpected.IsEmpty)
            parts.Add($"Unexpected keys: {string.Join(", ", unexpected)}.");
        if (!shapeMismatches.IsEmpty)
            parts.Add($"Shape mismatches: {string.Join("; ", shapeMismatches)}.");
        return string.Join(" ", parts);
    }
}
