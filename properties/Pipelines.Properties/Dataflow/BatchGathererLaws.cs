using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Pipelines.Dataflow;

namespace Pipelines.Properties.Dataflow;

/// <summary>What a forming batch sees: its size and limit, the delay, how long its oldest request has waited, the slots, the queue and the last pass, in microseconds.</summary>
public sealed record GatheringCase(int Count, int MaxBatchSize, int DelayMicroseconds, int WaitedMicroseconds, bool SlotFree, bool QueueEnded, int LastBatch, int LastExecutionMicroseconds);

public static class GatheringArbitraries
{
    public static Arbitrary<GatheringCase> Cases() =>
        (from maxBatch in Gen.Elements(1, 2, 3, 16, 64)
         from count in Gen.Choose(1, maxBatch)
         from delay in Gen.Elements(0, 100, 499, 500, 501, 999, 1000, 1001, 1500, 5000)
         from waited in Gen.OneOf(Gen.Choose(0, 6000), Gen.Elements(0, delay - 1000, delay - 501, delay - 500, delay - 499, delay, delay + 1).Select(w => Math.Max(0, w)))
         from slotFree in Gen.Elements(false, true)
         from ended in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
         from lastBatch in Gen.Choose(1, 70)
         from lastExecution in Gen.Elements(0, 10, 300, 1000, 3000, 20000)
         select new GatheringCase(count, maxBatch, delay, waited, slotFree, ended, lastBatch, lastExecution)).ToArbitrary();
}

/// <summary>
/// The gathering rule's promises, whatever the load and the clock: no wait ends past the batch's delay (a wait for
/// callers takes a whole millisecond and starts only while that fits; a wait for arrivals ends at the delay); a batch
/// with every slot busy grows until its delay is within half a millisecond; a full batch or a completed queue never waits;
/// a batch goes in a free slot at once unless the last pass's callers are still due.
/// </summary>
[Properties(Arbitrary = [typeof(GatheringArbitraries)], MaxTest = 500)]
public sealed class BatchGathererLaws
{
    [Property]
    public Property No_wait_outlasts_the_delay_and_no_busy_batch_closes_before_it(GatheringCase c)
    {
        var clock = new FakeTimeProvider();
        var arrived = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromMicroseconds(c.WaitedMicroseconds));
        var (delay, waited) = (TimeSpan.FromMicroseconds(c.DelayMicroseconds), TimeSpan.FromMicroseconds(c.WaitedMicroseconds));
        var lastExecution = (long)(c.LastExecutionMicroseconds / 1e6 * clock.TimestampFrequency);
        var step = new BatchGatherer(c.MaxBatchSize, delay, clock).Next(c.Count, arrived, c.SlotFree, c.QueueEnded, c.LastBatch, lastExecution);
        var full = c.Count == c.MaxBatchSize;
        var callersDue = c.Count < c.LastBatch && c.WaitedMicroseconds < c.LastExecutionMicroseconds && waited + TimeSpan.FromMilliseconds(1) <= delay;
        GatherStep expected = (full, c.QueueEnded, c.SlotFree) switch
        {
            (true, _, _) => GatherStep.Close,
            (_, true, true) => GatherStep.Dispatch,
            (_, true, false) => GatherStep.Close,
            (_, _, true) => callersDue ? GatherStep.AwaitCallers(c.LastBatch - c.Count, TimeSpan.FromMilliseconds(1)) : GatherStep.Dispatch,
            _ => delay - waited <= TimeSpan.FromMilliseconds(0.5) ? GatherStep.Close : GatherStep.AwaitArrivals(delay - waited < TimeSpan.FromMilliseconds(1) ? 1 : c.MaxBatchSize - c.Count, delay - waited),
        };
        var withinDelay = step.Kind is GatherKind.Dispatch or GatherKind.Close || waited + step.Wait <= delay;
        return (step == expected && withinDelay && step.Awaited >= 0).Label($"{c}: {step}, expected {expected}");
    }
}
