namespace Pipelines.Optim;

/// <summary>A learning rate as a function of the step (0 for the first update).</summary>
public delegate double Schedule(int step);

/// <summary>The learning-rate schedules PyTorch users reach for.</summary>
public static class Schedules
{
    /// <summary>The same rate at every step.</summary>
    public static Schedule Constant(double rate) => _ => rate;

    /// <summary>rate·γ^⌊step / stepSize⌋, like <c>StepLR</c>.</summary>
    public static Schedule Step(double rate, int stepSize, double gamma = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        return step => rate * Math.Pow(gamma, step / stepSize);
    }

    /// <summary>Cosine decay from rate to minimum over <paramref name="steps"/>, then minimum, like <c>CosineAnnealingLR</c>.</summary>
    public static Schedule Cosine(double rate, int steps, double minimum = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        return step => step >= steps ? minimum : minimum + ((rate - minimum) * (1 + Math.Cos(Math.PI * step / steps)) / 2);
    }

    /// <summary>A linear ramp from 0 to the schedule's value over <paramref name="warmupSteps"/>, then the schedule.</summary>
    public static Schedule LinearWarmup(Schedule after, int warmupSteps)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        return step => step < warmupSteps ? after(step) * (step + 1) / (warmupSteps + 1) : after(step);
    }
}
