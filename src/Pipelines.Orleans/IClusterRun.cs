namespace Pipelines.Orleans;

/// <summary>
/// A run's claim, keyed by the run's id: one coordinator at a time. The claim is a lease the coordinator renews as it
/// steps, so a coordinator that died leaves it to a resume once the lease has run out.
/// </summary>
internal interface IClusterRun : IGrainWithStringKey
{
    /// <summary>Claims the run for <paramref name="coordinator"/>, or throws naming the coordinator that holds it.</summary>
    Task ClaimAsync(string coordinator, TimeSpan lease);

    /// <summary>Extends the claim (as <see cref="ClaimAsync"/> when it lapsed and nobody took it).</summary>
    Task RenewAsync(string coordinator, TimeSpan lease);

    /// <summary>Gives the claim up.</summary>
    Task ReleaseAsync(string coordinator);
}
