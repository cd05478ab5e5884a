using Pipelines.Kernels.Threading;
using Xunit;

namespace Pipelines.Tests.Kernels;

/// <summary>
/// The kernels' helper threads: every part runs once, failures reach the caller, and busy helpers never block a kernel.
/// Alone in their collection: whether a part finds a free helper depends on what else runs in the process.
/// </summary>
[Collection(nameof(KernelThreadsTests))]
[CollectionDefinition(nameof(KernelThreadsTests), DisableParallelization = true)]
public sealed class KernelThreadsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Every_part_runs_exactly_once_before_Run_returns(int parts)
    {
        var runs = new int[parts];
        KernelThreads.Run(parts, part => Interlocked.Increment(ref runs[part]));
        Assert.All(runs, count => Assert.Equal(1, count));
    }

    [Fact]
    public void The_parts_run_at_the_same_time_on_different_threads()
    {
        var threads = new int[2];
        using var bothStarted = new Barrier(2);
        // Each part waits for the other, so the test fails if one thread ran both.
        KernelThreads.Run(2, part =>
        {
            threads[part] = Environment.CurrentManagedThreadId;
            Assert.True(bothStarted.SignalAndWait(TimeSpan.FromSeconds(10)), "the two parts did not run at the same time");
        });
        Assert.NotEqual(threads[0], threads[1]);
    }

    [Fact]
    public void A_failing_part_reaches_the_caller_after_every_part_finished_and_the_helpers_keep_working()
    {
        var finished = 0;
        var failure = Assert.Throws<AggregateException>(() => KernelThreads.Run(3, part =>
        {
            if (part == 2)
                throw new InvalidOperationException("part 2 failed");
            Thread.Sleep(20);
            Interlocked.Increment(ref finished);
        }));
        Assert.Equal("part 2 failed", Assert.Single(failure.InnerExceptions).Message);
        Assert.Equal(2, finished);
        var runs = new int[3];
        KernelThreads.Run(3, part => Interlocked.Increment(ref runs[part]));
        Assert.All(runs, count => Assert.Equal(1, count));
    }

    /// <summary>Kernels side by side take the helpers nobody holds and run the rest of their parts themselves, so no thread joins beyond the team.</summary>
    [Fact]
    public void Kernels_inside_parts_run_on_the_callers_and_the_teams_threads_only()
    {
        var caller = Environment.CurrentManagedThreadId;
        var strangers = new System.Collections.Concurrent.ConcurrentBag<string>();
        void Record()
        {
            var thread = Thread.CurrentThread;
            if (thread.ManagedThreadId != caller && thread.Name?.StartsWith("Pipelines kernels ", StringComparison.Ordinal) != true)
                strangers.Add(thread.Name ?? $"#{thread.ManagedThreadId}");
        }
        KernelThreads.Run(6, _ =>
        {
            Record();
            KernelThreads.Run(4, _ =>
            {
                Record();
                Thread.Sleep(1);
            });
        });
        Assert.Empty(strangers);
    }

    [Fact]
    public void Kernels_started_inside_a_part_or_from_many_threads_at_once_all_complete()
    {
        var totals = new long[16];
        Parallel.For(0, totals.Length, caller => KernelThreads.Run(4, outer =>
            KernelThreads.Run(3, inner => Interlocked.Add(ref totals[caller], (outer * 3) + inner + 1))));
        Assert.All(totals, total => Assert.Equal(Enumerable.Range(1, 12).Sum(), total));
    }

    /// <summary>
    /// Thousands of kernels of random part counts (some nested, some failing) from several threads at once: each part
    /// runs once per kernel and the whole finishes within its time limit, where a lost wake-up or a helper left waiting
    /// for a finished job would hang.
    /// </summary>
    [Fact]
    public async Task A_stress_of_random_kernels_from_several_threads_finishes_with_every_part_run_once()
    {
        const int Callers = 4;
        const int KernelsEach = 3000;
        var callers = Enumerable.Range(0, Callers).Select(caller => Task.Factory.StartNew(
            () =>
            {
                var random = new Random(caller);
                for (var kernel = 0; kernel < KernelsEach; kernel++)
                {
                    var parts = random.Next(0, 6);
                    var failing = random.Next(10) == 0 ? random.Next(Math.Max(1, parts)) : -1;
                    var nested = random.Next(8) == 0;
                    var runs = new int[parts];
                    try
                    {
                        KernelThreads.Run(parts, part =>
                        {
                            Interlocked.Increment(ref runs[part]);
                            if (nested)
                                KernelThreads.Run(2, _ => { });
                            if (part == failing)
                                throw new InvalidOperationException($"part {part}");
                        });
                        Assert.True(failing < 0 || parts == 0, $"kernel {kernel}: part {failing} failed and Run returned normally");
                    }
                    catch (AggregateException e) when (parts > 1)
                    {
                        Assert.Equal($"part {failing}", Assert.Single(e.InnerExceptions).Message);
                    }
                    catch (InvalidOperationException e) when (parts == 1)
                    {
                        Assert.Equal("part 0", e.Message);
                    }
                    Assert.All(runs, count => Assert.Equal(1, count));
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();
        var all = Task.WhenAll(callers);
        Assert.True(all == await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))), "the kernels did not finish within a minute");
        await all;
    }
}
