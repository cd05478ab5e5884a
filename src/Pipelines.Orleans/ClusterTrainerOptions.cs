namespace Pipelines.Orleans;

/// <summary>How a cluster run spreads its micro-batches; none of it changes a bit of the result.</summary>
public sealed record ClusterTrainerOptions
{
    /// <summary>
    /// Which living silo computes a micro-batch: (step, micro-batch index, living silo count) → silo index in
    /// [0, count). Null (the default) gives each silo a contiguous run of the step's micro-batches.
    /// </summary>
    public Func<long, int, int, int>? Assign { get; init; }

    /// <summary>
    /// The run's id: a second run with the same id is refused while the first one's coordinator lives (it holds a lease
    /// it renews as it steps, so a resume after a coordinator's death waits at most <see cref="Lease"/>). Null (the
    /// default) names the run by its job and key.
    /// </summary>
    public string? RunId { get; init; }

    /// <summary>How long a run's claim outlives its coordinator's last step.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often a step still waiting for a silo asks the cluster's membership whether that silo is alive; one declared
    /// dead has its micro-batches given to the living at once. How soon membership declares a killed silo dead is the
    /// cluster's own setting (<c>ClusterMembershipOptions</c>: probe timeout × missed probes).
    /// </summary>
    public TimeSpan MembershipPoll { get; init; } = TimeSpan.FromMilliseconds(250);
}
