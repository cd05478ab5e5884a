namespace Pipelines.Optim;

/// <summary>How <see cref="Schedules.OneCycle"/> anneals between its phases, like <c>anneal_strategy</c>.</summary>
public enum Annealing
{
    /// <summary>Half a cosine.</summary>
    Cosine,

    /// <summary>A straight line.</summary>
    Linear,
}

/// <summary>
/// PyTorch's learning-rate schedulers as schedules of the step, in their closed forms: the value at step t is what the
/// scheduler gives after t calls to <c>scheduler.step()</c>, one per optimizer step. For schedulers PyTorch users step
/// per epoch, multiply the step arguments by the steps per epoch.
/// </summary>
public static class Schedules
{
    /// <summary>The same value at every step.</summary>
    /// <param name="rate">The value.</param>
    public static Schedule Constant(double rate) => _ => rate;

    /// <summary>rate·γ^⌊t / stepSize⌋, like <c>StepLR</c>.</summary>
    /// <param name="rate">The initial rate.</param>
    /// <param name="stepSize">Steps between decays.</param>
    /// <param name="gamma">The decay factor.</param>
    public static Schedule Step(double rate, int stepSize, double gamma = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        return step => rate * Math.Pow(gamma, step / stepSize);
    }

    /// <summary>rate·γ^(number of milestones ≤ t), like <c>MultiStepLR</c>.</summary>
    /// <param name="rate">The initial rate.</param>
    /// <param name="milestones">The steps at which the rate decays.</param>
    /// <param name="gamma">The decay factor.</param>
    public static Schedule MultiStep(double rate, IEnumerable<int> milestones, double gamma = 0.1)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        var sorted = milestones.Order().ToArray();
        return step => rate * Math.Pow(gamma, sorted.Count(m => m <= step));
    }

    /// <summary>rate·γᵗ, like <c>ExponentialLR</c>.</summary>
    /// <param name="rate">The initial rate.</param>
    /// <param name="gamma">The factor per step.</param>
    public static Schedule Exponential(double rate, double gamma) => step => rate * Math.Pow(gamma, step);

    /// <summary>
    /// η_min + (rate − η_min)·(1 + cos(π·t / T))/2, like <c>CosineAnnealingLR(T_max=steps, eta_min=minimum)</c>: past T it
    /// keeps following the cosine (back up towards the rate), exactly as PyTorch's scheduler does.
    /// </summary>
    /// <param name="rate">The initial rate.</param>
    /// <param name="steps">T, the half-period.</param>
    /// <param name="minimum">η_min.</param>
    public static Schedule Cosine(double rate, int steps, double minimum = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        return step => minimum + ((rate - minimum) * (1 + Math.Cos(Math.PI * step / steps)) / 2);
    }

    /// <summary>
    /// rate·(start + (end − start)·min(t, T)/T), like <c>LinearLR(start_factor, end_factor, total_iters)</c>: a warm-up
    /// from start·rate to end·rate over T steps, then constant.
    /// </summary>
    /// <param name="rate">The base rate.</param>
    /// <param name="startFactor">The factor at step 0 (PyTorch's default 1/3).</param>
    /// <param name="endFactor">The factor from step T on.</param>
    /// <param name="totalSteps">T.</param>
    public static Schedule Linear(double rate, double startFactor = 1.0 / 3, double endFactor = 1, int totalSteps = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        if (!(startFactor > 0 && startFactor <= 1) || !(endFactor >= 0 && endFactor <= 1))
            throw new ArgumentException($"LinearLR needs 0 < start_factor <= 1 and 0 <= end_factor <= 1 but got {startFactor} and {endFactor}.");
        return step => rate * (startFactor + ((endFactor - startFactor) * Math.Min(step, totalSteps) / totalSteps));
    }

    /// <summary>
    /// A linear warm-up in front of another schedule: <paramref name="after"/>(t) times a factor that rises linearly from
    /// <paramref name="startFactor"/> at step 0 to 1 at <paramref name="warmupSteps"/>, and is 1 from there on.
    /// </summary>
    /// <param name="after">The schedule being warmed up.</param>
    /// <param name="warmupSteps">How many steps the factor takes to reach 1.</param>
    /// <param name="startFactor">The factor at step 0.</param>
    public static Schedule Warmup(Schedule after, int warmupSteps, double startFactor = 0)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        return step => step < warmupSteps ? after(step) * (startFactor + ((1 - startFactor) * step / warmupSteps)) : after(step);
    }

    /// <summary>
    /// One schedule after another, like <c>SequentialLR</c>: schedule i runs from milestone i − 1 (0 for the first), and
    /// restarts its own step count there.
    /// </summary>
    /// <param name="schedules">The schedules, in order.</param>
    /// <param name="milestones">One step fewer than schedules: where each next schedule takes over.</param>
    public static Schedule Sequential(IReadOnlyList<Schedule> schedules, IReadOnlyList<int> milestones)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedules.Count != milestones.Count + 1 || milestones.Zip(milestones.Skip(1), (a, b) => a >= b).Any(unordered => unordered))
            throw new ArgumentException($"Sequential needs one milestone fewer than schedules, in increasing order, but got {schedules.Count} schedules and milestones [{string.Join(", ", milestones)}].", nameof(milestones));
        return step =>
        {
            var i = milestones.Count(m => m <= step);
            return schedules[i](step - (i == 0 ? 0 : milestones[i - 1]));
        };
    }

    /// <summary>
    /// The one-cycle policy's learning rate, like <c>OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy,
    /// div_factor, final_div_factor, three_phase)</c>: up from max/div to max over the first pct of the steps, then down to
    /// max/div/final_div (with three phases: back to max/div first). Step counts past total_steps are an error, as in PyTorch.
    /// </summary>
    /// <param name="maxRate">The peak rate.</param>
    /// <param name="totalSteps">The number of steps in the cycle.</param>
    /// <param name="pctStart">The fraction of the cycle spent rising.</param>
    /// <param name="annealing">Cosine or linear annealing.</param>
    /// <param name="divFactor">initial rate = max / divFactor.</param>
    /// <param name="finalDivFactor">final rate = initial / finalDivFactor.</param>
    /// <param name="threePhase">Use PyTorch's three-phase variant.</param>
    public static Schedule OneCycle(double maxRate, int totalSteps, double pctStart = 0.3, Annealing annealing = Annealing.Cosine, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
    {
        var initial = maxRate / divFactor;
        return OneCyclePhases(totalSteps, pctStart, annealing, threePhase, initial, maxRate, initial / finalDivFactor, "learning rate");
    }

    /// <summary>
    /// The momentum (Adam's β₁) the one-cycle policy cycles with the rate when <c>cycle_momentum=True</c>: down from max to
    /// base while the rate rises, back up while it falls. Pass it as the optimizer's momentum schedule.
    /// </summary>
    /// <param name="totalSteps">The number of steps in the cycle.</param>
    /// <param name="pctStart">The fraction of the cycle spent rising.</param>
    /// <param name="baseMomentum">The momentum at the rate's peak.</param>
    /// <param name="maxMomentum">The momentum at the ends.</param>
    /// <param name="annealing">Cosine or linear annealing.</param>
    /// <param name="threePhase">Use PyTorch's three-phase variant.</param>
    public static Schedule OneCycleMomentum(int totalSteps, double pctStart = 0.3, double baseMomentum = 0.85, double maxMomentum = 0.95, Annealing annealing = Annealing.Cosine, bool threePhase = false) =>
        OneCyclePhases(totalSteps, pctStart, annealing, threePhase, maxMomentum, baseMomentum, maxMomentum, "momentum");

    /// <summary>PyTorch's phase table: start at a, peak (or trough) at b, end at c; each phase anneals between its ends.</summary>
    private static Schedule OneCyclePhases(int totalSteps, double pctStart, Annealing annealing, bool threePhase, double a, double b, double c, string what)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        if (!(pctStart > 0 && pctStart < 1))
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "pct_start must lie in (0, 1).");
        (double End, double From, double To)[] phases = threePhase
            ? [((pctStart * totalSteps) - 1, a, b), ((2 * pctStart * totalSteps) - 2, b, a), (totalSteps - 1, a, c)]
            : [((pctStart * totalSteps) - 1, a, b), (totalSteps - 1, b, c)];
        return step =>
        {
            if (step > totalSteps)
                throw new ArgumentOutOfRangeException(nameof(step), step, $"The one-cycle {what} schedule was built for {totalSteps} steps and was asked for step {step}.");
            var (i, start) = (0, 0.0);
            while (i < phases.Length - 1 && step > phases[i].End)
                (start, i) = (phases[i].End, i + 1);
            var (end, from, to) = phases[i];
            var pct = (step - start) / (end - start);
            return annealing == Annealing.Cosine ? to + ((from - to) / 2.0 * (Math.Cos(Math.PI * pct) + 1)) : ((to - from) * pct) + from;
        };
    }
}
