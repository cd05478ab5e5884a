namespace Pipelines.Optim;

/// <summary>The state of a transformation that keeps none.</summary>
public sealed record EmptyState : OptimizerState
{
    /// <summary>The one empty state.</summary>
    public static EmptyState Instance { get; } = new();

    /// <inheritdoc/>
    public override void Save(StateWriter writer)
    {
    }

    /// <inheritdoc/>
    public override OptimizerState Load(StateReader reader) => this;
}
