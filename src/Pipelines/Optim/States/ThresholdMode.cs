namespace Pipelines.Optim;

/// <summary>How a metric must beat the best so far to count as an improvement, like <c>threshold_mode</c>.</summary>
public enum ThresholdMode
{
    /// <summary>By a fraction of the best: below best·(1 − threshold) in min mode.</summary>
    Relative,

    /// <summary>By an amount: below best − threshold in min mode.</summary>
    Absolute,
}
