using Microsoft.Extensions.Time.Testing;
using Pipelines.Dataflow;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>The inference pipeline's gathering rule on a fake clock: when a forming batch goes, stops growing or waits, and for what.</summary>
public sealed class BatchGathererTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(5);

    private readonly FakeTimeProvider _clock = new();

    private BatchGatherer Gatherer(int maxBatchSize = 16, TimeSpan? delay = null) => new(maxBatchSize, delay ?? Delay, _clock);

    private long Ticks(double milliseconds) => (long)(milliseconds / 1000 * _clock.TimestampFrequency);

    [Fact]
    public void A_full_batch_stops_growing_whatever_the_slots()
    {
        var gatherer = Gatherer(maxBatchSize: 4);
        var arrived = _clock.GetTimestamp();
        Assert.Equal(GatherStep.Close, gatherer.Next(4, arrived, slotFree: true, queueEnded: false, lastBatch: 16, lastExecution: Ticks(10)));
        Assert.Equal(GatherStep.Close, gatherer.Next(4, arrived, slotFree: false, queueEnded: false, lastBatch: 1, lastExecution: 0));
    }

    [Fact]
    public void With_a_slot_free_and_a_light_load_the_batch_goes_at_once()
    {
        var gatherer = Gatherer();
        Assert.Equal(GatherStep.Dispatch, gatherer.Next(1, _clock.GetTimestamp(), slotFree: true, queueEnded: false, lastBatch: 1, lastExecution: Ticks(2)));
        Assert.Equal(GatherStep.Dispatch, gatherer.Next(3, _clock.GetTimestamp(), slotFree: true, queueEnded: false, lastBatch: 3, lastExecution: Ticks(2)));
    }

    [Fact]
    public void With_a_slot_free_the_batch_waits_for_the_last_passes_callers_for_about_one_pass()
    {
        var gatherer = Gatherer();
        var arrived = _clock.GetTimestamp();
        Assert.Equal(GatherStep.AwaitCallers(5, TimeSpan.FromMilliseconds(1)), gatherer.Next(3, arrived, slotFree: true, queueEnded: false, lastBatch: 8, lastExecution: Ticks(2)));
        _clock.Advance(TimeSpan.FromMilliseconds(1.9));
        Assert.Equal(GatherKind.AwaitCallers, gatherer.Next(3, arrived, slotFree: true, queueEnded: false, lastBatch: 8, lastExecution: Ticks(2)).Kind);
        _clock.Advance(TimeSpan.FromMilliseconds(0.1));
        Assert.Equal(GatherStep.Dispatch, gatherer.Next(3, arrived, slotFree: true, queueEnded: false, lastBatch: 8, lastExecution: Ticks(2)));
    }

    [Fact]
    public void Waiting_for_callers_takes_a_whole_millisecond_only_while_that_keeps_within_the_delay()
    {
        var gatherer = Gatherer(delay: TimeSpan.FromMilliseconds(2));
        var arrived = _clock.GetTimestamp();
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(GatherKind.AwaitCallers, gatherer.Next(1, arrived, slotFree: true, queueEnded: false, lastBatch: 8, lastExecution: Ticks(50)).Kind);
        _clock.Advance(TimeSpan.FromMilliseconds(0.1));
        Assert.Equal(GatherStep.Dispatch, gatherer.Next(1, arrived, slotFree: true, queueEnded: false, lastBatch: 8, lastExecution: Ticks(50)));
    }

    [Fact]
    public void With_every_slot_busy_the_batch_grows_until_its_delay_to_within_half_a_millisecond()
    {
        var gatherer = Gatherer(maxBatchSize: 16);
        var arrived = _clock.GetTimestamp();
        Assert.Equal(GatherStep.AwaitArrivals(13, Delay), gatherer.Next(3, arrived, slotFree: false, queueEnded: false, lastBatch: 1, lastExecution: 0));
        _clock.Advance(TimeSpan.FromMilliseconds(4.2));
        // The delay's last millisecond: every arrival wakes the gatherer.
        Assert.Equal(GatherStep.AwaitArrivals(1, TimeSpan.FromMilliseconds(0.8)), gatherer.Next(3, arrived, slotFree: false, queueEnded: false, lastBatch: 1, lastExecution: 0));
        _clock.Advance(TimeSpan.FromMilliseconds(0.3));
        Assert.Equal(GatherStep.Close, gatherer.Next(3, arrived, slotFree: false, queueEnded: false, lastBatch: 1, lastExecution: 0));
    }

    [Fact]
    public void Once_the_queue_has_completed_nothing_waits()
    {
        var gatherer = Gatherer();
        var arrived = _clock.GetTimestamp();
        Assert.Equal(GatherStep.Dispatch, gatherer.Next(3, arrived, slotFree: true, queueEnded: true, lastBatch: 8, lastExecution: Ticks(2)));
        Assert.Equal(GatherStep.Close, gatherer.Next(3, arrived, slotFree: false, queueEnded: true, lastBatch: 8, lastExecution: Ticks(2)));
    }
}
