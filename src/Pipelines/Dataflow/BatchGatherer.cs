namespace Pipelines.Dataflow;

/// <summary>
/// The inference pipeline's rule for a forming batch, as a function of what the gatherer sees and of the clock: whether
/// the batch goes now, stops growing, or waits, and for what. The pipeline's gathering thread only drives it (drains
/// the queue, waits as told, claims slots); tests drive it with a fake <see cref="TimeProvider"/>.
/// <list type="bullet">
/// <item>A full batch stops growing.</item>
/// <item>With a forward slot free, the batch goes at once, unless the last pass served more requests than it holds:
/// their callers come back within about one pass, so it waits up to that long for them (in whole-millisecond waits, and
/// only while such a wait keeps within the delay).</item>
/// <item>With every slot busy, it grows until its oldest request has waited <see cref="InferenceOptions.MaxDelay"/> (to
/// within half a millisecond: .NET's timed waits count whole milliseconds). In the delay's last millisecond every arrival
/// wakes the gatherer, a finer clock under load than the timed wait.</item>
/// <item>Once the queue has completed, nothing more can join: the batch stops growing.</item>
/// </list>
/// </summary>
/// <param name="maxBatchSize">The most requests in a batch.</param>
/// <param name="maxDelay">The longest the oldest request of a batch waits for others while every slot is busy.</param>
/// <param name="clock">The clock requests' arrivals and the last pass's duration are read by.</param>
internal sealed class BatchGatherer(int maxBatchSize, TimeSpan maxDelay, TimeProvider clock)
{
    private static readonly TimeSpan OneWait = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(0.5);

    /// <summary>The next move for a batch of <paramref name="count"/> live requests (at least one) once the queue is drained.</summary>
    /// <param name="count">The batch's live requests.</param>
    /// <param name="oldestArrived">The clock's time its oldest live request arrived.</param>
    /// <param name="slotFree">Whether a forward slot is free.</param>
    /// <param name="queueEnded">Whether the queue has completed.</param>
    /// <param name="lastBatch">The live requests of the last forward pass.</param>
    /// <param name="lastExecution">The last forward pass's duration, in the clock's ticks.</param>
    public GatherStep Next(int count, long oldestArrived, bool slotFree, bool queueEnded, int lastBatch, long lastExecution)
    {
        if (count >= maxBatchSize)
            return GatherStep.Close;
        var now = clock.GetTimestamp();
        var waited = clock.GetElapsedTime(oldestArrived, now);
        if (slotFree)
        {
            var callersDue = waited < clock.GetElapsedTime(0, lastExecution);
            var roomForAWait = waited + OneWait <= maxDelay;
            return count < lastBatch && callersDue && roomForAWait && !queueEnded
                ? GatherStep.AwaitCallers(lastBatch - count, OneWait)
                : GatherStep.Dispatch;
        }
        var remaining = maxDelay - waited;
        if (remaining <= Tolerance || queueEnded)
            return GatherStep.Close;
        return GatherStep.AwaitArrivals(remaining < OneWait ? 1 : maxBatchSize - count, remaining);
    }
}

/// <summary>What a forming batch does next (<see cref="BatchGatherer.Next"/>).</summary>
/// <param name="Kind">The move.</param>
/// <param name="Awaited">For a wait: how many more queued requests end it early.</param>
/// <param name="Wait">For a wait: how long at most.</param>
internal readonly record struct GatherStep(GatherKind Kind, int Awaited, TimeSpan Wait)
{
    /// <summary>Claim the free slot and go.</summary>
    public static GatherStep Dispatch => new(GatherKind.Dispatch, 0, TimeSpan.Zero);

    /// <summary>Stop growing: go in the next slot that frees.</summary>
    public static GatherStep Close => new(GatherKind.Close, 0, TimeSpan.Zero);

    /// <summary>Wait, with a slot free, for the last pass's callers to come back.</summary>
    public static GatherStep AwaitCallers(int awaited, TimeSpan wait) => new(GatherKind.AwaitCallers, awaited, wait);

    /// <summary>Wait, every slot busy, for arrivals or a slot.</summary>
    public static GatherStep AwaitArrivals(int awaited, TimeSpan wait) => new(GatherKind.AwaitArrivals, awaited, wait);
}

/// <summary>The moves of a forming batch.</summary>
internal enum GatherKind
{
    /// <summary>A slot is free and the batch goes in it now.</summary>
    Dispatch,

    /// <summary>The batch stops growing and goes in the next free slot.</summary>
    Close,

    /// <summary>A slot is free, and the batch waits briefly for the last pass's callers.</summary>
    AwaitCallers,

    /// <summary>Every slot is busy, and the batch waits for arrivals or a slot.</summary>
    AwaitArrivals,
}
