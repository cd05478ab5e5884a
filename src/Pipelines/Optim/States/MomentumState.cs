using Pipelines.Layers;

namespace Pipelines.Optim;

/// <summary>
/// SGD's momentum buffer per parameter. As in PyTorch, the first step sets the buffer to the gradient itself, so
/// whether a step has happened is part of the state (and of a checkpoint).
/// </summary>
/// <param name="Velocity">The buffer, by parameter name (zeros before the first step).</param>
/// <param name="Initialized">Whether the first step has set the buffer.</param>
public sealed record MomentumState(NamedTensors Velocity, bool Initialized) : OptimizerState
{
    /// <inheritdoc/>
    public override void Save(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("initialized", Initialized ? 1L : 0L);
        writer.Write("momentum_buffer", Velocity);
    }

    /// <inheritdoc/>
    public override OptimizerState Load(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new MomentumState(reader.Read("momentum_buffer", Velocity), reader.ReadCount("initialized") != 0);
    }
}
