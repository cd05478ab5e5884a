namespace Pipelines.Losses;

/// <summary>How a loss combines its per-element terms, as PyTorch's <c>reduction</c> argument.</summary>
public enum Reduction
{
    /// <summary>The average (PyTorch's default); weighted losses divide by the weights' sum where PyTorch does.</summary>
    Mean,

    /// <summary>The sum.</summary>
    Sum,

    /// <summary>The sum divided by the batch size: KL divergence only, as in PyTorch, where it matches the mathematical definition.</summary>
    BatchMean,
}
