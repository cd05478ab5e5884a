namespace Pipelines.Losses;

/// <summary>How a loss combines its per-element terms, as PyTorch's <c>reduction</c> argument.</summary>
public enum Reduction
{
    /// <summary>The average (PyTorch's default).</summary>
    Mean,

    /// <summary>The sum.</summary>
    Sum,
}
