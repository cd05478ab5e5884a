namespace Pipelines.Orleans;

/// <summary>The claim's grain: who holds the run and until when, in memory (a silo's death forgets it).</summary>
internal sealed class ClusterRun : Grain, IClusterRun
{
    private (string Coordinator, DateTimeOffset Until, DateTimeOffset Since)? _held;

    public Task ClaimAsync(string coordinator, TimeSpan lease)
    {
        var now = DateTimeOffset.UtcNow;
        if (_held is { } held && held.Coordinator != coordinator && held.Until > now)
            throw new InvalidOperationException($"Cluster run '{this.GetPrimaryKeyString()}' is already running, coordinated by {held.Coordinator} since {held.Since:u}; give this run another ClusterTrainerOptions.RunId, or wait for that one to end (a coordinator that died gives the run up {lease.TotalSeconds:F0} s after its last step).");
        _held = (coordinator, now + lease, _held?.Coordinator == coordinator ? _held.Value.Since : now);
        // The claim must outlive idle stretches between renewals.
        DelayDeactivation(lease + lease);
        return Task.CompletedTask;
    }

    public Task RenewAsync(string coordinator, TimeSpan lease) => ClaimAsync(coordinator, lease);

    public Task ReleaseAsync(string coordinator)
    {
        if (_held?.Coordinator == coordinator)
            _held = null;
        return Task.CompletedTask;
    }
}
