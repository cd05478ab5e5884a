using System.Collections.Immutable;

namespace Pipelines.IO;

/// <summary>
/// A state dict that does not fit a model: every missing key, unexpected key, shape mismatch and impossible conversion is
/// listed in the message and in the properties, so one attempt shows everything to fix.
/// </summary>
public sealed class StateDictMismatchException : ArgumentException
{
    /// <summary>Creates the exception from what did not match.</summary>
    /// <param name="missing">Parameters and buffers of the model that the state dict lacks.</param>
    /// <param name="unexpected">Keys of the state dict that name nothing in the model.</param>
    /// <param name="shapeMismatches">One line per entry whose shape differs.</param>
    /// <param name="conversions">One line per entry whose values cannot be converted exactly to the model's dtype.</param>
    public StateDictMismatchException(ImmutableArray<string> missing, ImmutableArray<string> unexpected, ImmutableArray<string> shapeMismatches, ImmutableArray<string> conversions)
        : base(Describe(missing, unexpected, shapeMismatches, conversions))
    {
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
        Conversions = conversions;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public StateDictMismatchException()
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    /// <param name="message">The message.</param>
    public StateDictMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public StateDictMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Parameters and buffers of the model that the state dict lacks.</summary>
    public ImmutableArray<string> Missing { get; } = [];

    /// <summary>Keys of the state dict that name nothing in the model.</summary>
    public ImmutableArray<string> Unexpected { get; } = [];

    /// <summary>One line per entry whose shape differs: name, expected and given shape.</summary>
    public ImmutableArray<string> ShapeMismatches { get; } = [];

    /// <summary>One line per entry whose values cannot become the model's dtype exactly (an int64 of 2⁶⁰ for a float32 weight), naming the first such value.</summary>
    public ImmutableArray<string> Conversions { get; } = [];

    private static string Describe(ImmutableArray<string> missing, ImmutableArray<string> unexpected, ImmutableArray<string> shapeMismatches, ImmutableArray<string> conversions)
    {
        var parts = new List<string> { "The state dict does not fit the model." };
        if (!missing.IsEmpty)
            parts.Add($"Missing keys: {string.Join(", ", missing)}.");
        if (!unexpected.IsEmpty)
            parts.Add($"Unexpected keys: {string.Join(", ", unexpected.Select(SafeTensorsHeader.Quote))}.");
        if (!shapeMismatches.IsEmpty)
            parts.Add($"Shape mismatches: {string.Join("; ", shapeMismatches)}.");
        if (!conversions.IsEmpty)
            parts.Add($"Values that do not convert: {string.Join("; ", conversions)}.");
        return string.Join(" ", parts);
    }
}
