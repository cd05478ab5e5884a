using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Orleans.Tests;

/// <summary>Bad input gets a clear error naming what was expected and what was given, before or instead of a wrong run.</summary>
public sealed class ClusterTrainerErrors(ClusterTrainerLaws.ThreeSilos three) : IClassFixture<ClusterTrainerLaws.ThreeSilos>
{
    [Fact]
    public async Task A_job_no_silo_knows_is_named()
    {
        var job = new ClusterJob<Chain>("nowhere", () => TestJob.Model(), () => TestJob.Data(), TestJob.Loss);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => new ClusterTrainer<Chain>(three.Cluster.Client, job, TestJob.Optimizer(), TestJob.Options).TrainAsync(TestJob.Model(), new Key(1)));
        Assert.Contains("no training job 'nowhere'", e.Message);
        Assert.Contains($"'{TestJob.Name}'", e.Message);
    }

    [Fact]
    public async Task An_architecture_that_differs_from_the_silos_is_named()
    {
        var wider = new Linear(new Key(1), TestJob.Features, 32) >> new BatchNorm1d(32) >> new ReLU() >> new Dropout(0.2) >> new Linear(new Key(2), 32, TestJob.Classes);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => new ClusterTrainer<Chain>(three.Cluster.Client, TestJob.Job(), TestJob.Optimizer(), TestJob.Options).TrainAsync(wider, new Key(1)));
        Assert.Contains("'0.weight' is [32, 6] in the first and [16, 6] in the second", e.Message);
    }

    [Fact]
    public void A_transform_in_the_options_is_refused_for_the_jobs()
    {
        var e = Assert.Throws<ArgumentException>(() => new ClusterTrainer<Chain>(three.Cluster.Client, TestJob.Job(), TestJob.Optimizer(), TestJob.Options with { Transform = TestJob.Augment }));
        Assert.Contains("ClusterJob 'blobs'", e.Message);
    }

    [Fact]
    public async Task A_workers_exception_ends_the_run_as_in_one_process()
    {
        // A target class outside [0, 3): one process names the example; the cluster run must end with that same error.
        var bad = new ClusterJob<Chain>("bad-targets", () => TestJob.Model(), () => DataSource.FromTensors(Tensor.Zeros(new Shape(10, TestJob.Features)), Tensor.FromArray([0L, 1, 2, 0, 1, 7, 0, 1, 2, 0], 10)), TestJob.Loss);
        await using var cluster = await LocalCluster.StartAsync(2, () => [bad]);
        var options = TestJob.Options with { BatchSize = 10, Shuffle = false };
        var expected = await Assert.ThrowsAsync<ArgumentException>(() => new Trainer<Chain>(TestJob.Optimizer(), TestJob.Loss, options).Train(TestJob.Model(), DataSource.FromTensors(Tensor.Zeros(new Shape(10, TestJob.Features)), Tensor.FromArray([0L, 1, 2, 0, 1, 7, 0, 1, 2, 0], 10)), new Key(1)).Completion);
        var run = await new ClusterTrainer<Chain>(cluster.Client, bad, TestJob.Optimizer(), options).TrainAsync(TestJob.Model(), new Key(1));
        var actual = await Assert.ThrowsAsync<ArgumentException>(() => run.Completion);
        Assert.Equal(expected.Message, actual.Message);
        Assert.Contains("example 5", actual.Message);
    }

    [Fact]
    public async Task Streamed_data_is_refused_with_the_reason()
    {
        var streamed = new ClusterJob<Chain>("streamed", () => TestJob.Model(), () => DataSource.FromExamples(() => [new Example(Tensor.Zeros(new Shape(TestJob.Features)), Tensor.FromArray([0L]).Reshape())]), TestJob.Loss);
        await using var cluster = await LocalCluster.StartAsync(1, () => [streamed]);
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => new ClusterTrainer<Chain>(cluster.Client, streamed, TestJob.Optimizer(), TestJob.Options).TrainAsync(TestJob.Model(), new Key(1)));
        Assert.Contains("reads examples by row", e.Message);
    }

    [Fact]
    public async Task A_run_started_twice_with_one_id_is_refused_while_the_first_runs()
    {
        var options = TestJob.Options with { Epochs = 200 };
        var cluster = new ClusterTrainerOptions { RunId = "twice" };
        using var stop = new CancellationTokenSource();
        var first = await new ClusterTrainer<Chain>(three.Cluster.Client, TestJob.Job(), TestJob.Optimizer(), options, cluster).TrainAsync(TestJob.Model(), new Key(1), stop.Token);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new ClusterTrainer<Chain>(three.Cluster.Client, TestJob.Job(), TestJob.Optimizer(), options, cluster).TrainAsync(TestJob.Model(), new Key(2)));
        Assert.Contains("Cluster run 'twice' is already running", e.Message);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.Completion);
        // Once the first has ended, the id is free again.
        var again = await new ClusterTrainer<Chain>(three.Cluster.Client, TestJob.Job(), TestJob.Optimizer(), TestJob.Options, cluster).TrainAsync(TestJob.Model(), new Key(2));
        Assert.True((await again.Completion).Steps > 0);
    }
}
