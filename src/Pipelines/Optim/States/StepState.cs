namespace Pipelines.Optim;

/// <summary>The step count of a schedule: how many updates it has made.</summary>
/// <param name="Step">The number of updates so far (0 before the first).</param>
public sealed record StepState(long Step) : OptimizerState
{
    /// <inheritdoc/>
    public override void Save(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("step", Step);
    }

    /// <inheritdoc/>
    public override OptimizerState Load(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new StepState(reader.ReadCount("step"));
    }
}
