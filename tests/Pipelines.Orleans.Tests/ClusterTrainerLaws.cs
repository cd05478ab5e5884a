using FsCheck;
using FsCheck.Xunit;
using Orleans.TestingHost;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Orleans.Tests;

/// <summary>
/// The cluster trainer's promise: the model, buffers and optimizer state of a run on any number of silos, with any
/// assignment of micro-batches, silos lost mid-run or a resume on another cluster, are bitwise those of
/// <see cref="Trainer{TModel}"/> in one process with the same options and key.
/// </summary>
public sealed class ClusterTrainerLaws(ClusterTrainerLaws.ThreeSilos three) : IClassFixture<ClusterTrainerLaws.ThreeSilos>
{
    private static readonly Key RunKey = new(5);

    public static Task<TrainingResult<Chain>> OneProcess(TrainerOptions? options = null) =>
        new Trainer<Chain>(TestJob.Optimizer(), TestJob.Loss, (options ?? TestJob.Options) with { Transform = TestJob.Augment })
            .Train(TestJob.Model(), TestJob.Data(), RunKey).Completion;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task A_run_on_any_number_of_silos_is_the_one_process_run(int silos)
    {
        await using var cluster = await LocalCluster.StartAsync(silos);
        var run = await new ClusterTrainer<Chain>(cluster.Client, TestJob.Job(), TestJob.Optimizer(), TestJob.Options).TrainAsync(TestJob.Model(), RunKey);
        Bits.Equal(await OneProcess(), await run.Completion);
    }

    [Property(MaxTest = 6)]
    public async Task<bool> Any_assignment_changing_at_any_step_is_the_one_process_run(int seed, PositiveInt microBatches, PositiveInt batch)
    {
        // BatchNorm needs two examples in each micro-batch, so the batch is at least twice the parts and the partial one is dropped.
        var parts = 1 + (microBatches.Get % 7);
        var options = TestJob.Options with { MicroBatches = parts, BatchSize = (2 * parts) + (batch.Get % 30), DropLast = true };
        // A pure function of (seed, step, part), so the assignment is random but each call gives the same answer.
        var assign = (long step, int part, int silos) => (int)(new Key((ulong)seed).Fold((ulong)step).Fold((ulong)part).Bits64 % (ulong)silos);
        var trainer = new ClusterTrainer<Chain>(three.Cluster.Client, TestJob.Job(), TestJob.Optimizer(), options, new ClusterTrainerOptions { Assign = assign });
        var run = await trainer.TrainAsync(TestJob.Model(), RunKey);
        return Bits.Same(await OneProcess(options), await run.Completion);
    }

    [Fact]
    public async Task A_run_resumed_from_a_checkpoint_on_another_number_of_silos_is_the_uninterrupted_run()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pipelines-cluster-{Guid.NewGuid():N}", "last.safetensors");
        try
        {
            var first = TestJob.Options with { MaxSteps = 4, Checkpoints = new CheckpointPolicy(Path.GetDirectoryName(path)!) };
            await using (var two = await LocalCluster.StartAsync(2))
                _ = await (await new ClusterTrainer<Chain>(two.Client, TestJob.Job(), TestJob.Optimizer(), first).TrainAsync(TestJob.Model(), RunKey)).Completion;
            var resumed = await new ClusterTrainer<Chain>(three.Cluster.Client, TestJob.Job(), TestJob.Optimizer(), TestJob.Options).ResumeAsync(TestJob.Model(), path);
            Bits.Equal(await OneProcess(), await resumed.Completion);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task A_silo_killed_mid_step_loses_nothing()
    {
        await using var cluster = await LocalCluster.StartAsync(3);
        using var reached = new SemaphoreSlim(0);
        using var killed = new ManualResetEventSlim();
        // Step 3's assignment is made from the silos living before the kill, so one call goes to a dead silo.
        var assign = (long step, int part, int silos) =>
        {
            if (step == 3 && part == 0 && !killed.IsSet)
            {
                reached.Release();
                killed.Wait(TimeSpan.FromSeconds(30));
            }
            return part % silos;
        };
        var trainer = new ClusterTrainer<Chain>(cluster.Client, TestJob.Job(), TestJob.Optimizer(), TestJob.Options, new ClusterTrainerOptions { Assign = assign });
        var run = await trainer.TrainAsync(TestJob.Model(), RunKey);
        Assert.True(await reached.WaitAsync(TimeSpan.FromSeconds(60)), "the run never reached step 3");
        await cluster.KillSiloAsync(cluster.Silos[^1]);
        killed.Set();
        Bits.Equal(await OneProcess(), await run.Completion);
    }

    /// <summary>Three silos shared by the laws that need no cluster of their own.</summary>
    public sealed class ThreeSilos : IAsyncLifetime
    {
        public InProcessTestCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync() => Cluster = await LocalCluster.StartAsync(3);

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }
}
