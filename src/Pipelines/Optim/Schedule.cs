namespace Pipelines.Optim;

/// <summary>A value (a learning rate, a momentum) as a function of the step: 0 for the first update.</summary>
/// <param name="step">How many updates came before this one.</param>
public delegate double Schedule(long step);
