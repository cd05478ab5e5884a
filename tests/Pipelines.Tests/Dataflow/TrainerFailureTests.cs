using System.Diagnostics.Metrics;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>A failing source, transform or model ends the run with the original exception within one step; cancellation and limits stop it cleanly.</summary>
public sealed class TrainerFailureTests
{
    private static readonly Key RunKey = new(11);

    private static Trainer<Chain> Trainer(TrainerOptions options) =>
        new(Optimizers.Sgd(0.1), (y, t) => Loss.CrossEntropy(y, t), options);

    /// <summary>The steps a run reports, read beside it from the start (a run's reports are read while it trains).</summary>
    private static Task<List<long>> StepsOf(TrainingRun<Chain> run) => Task.Run(async () =>
    {
        var steps = new List<long>();
        await foreach (var report in run.Reports.OfType<StepReport>())
            steps.Add(report.Step);
        return steps;
    });

    private static readonly TrainerOptions Options = new() { BatchSize = 10, Epochs = 2, Loaders = 2, Workers = 2, MicroBatches = 2 };

    [Fact]
    public async Task A_source_that_throws_faults_the_run_with_its_exception_and_no_step_after_it()
    {
        var (x, t) = TrainingData.Make(100);
        var source = DataSource.FromExamples(() => Enumerable.Range(0, 100).Select(i => i == 57 ? throw new InvalidDataException("example 57 is corrupt") : new Example(x[i], t[i])));
        var run = Trainer(Options with { Shuffle = false }).Train(TrainingData.Model(), source, RunKey);
        var reading = StepsOf(run);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => run.Completion);
        var steps = await reading;
        Assert.Equal("example 57 is corrupt", error.Message);
        Assert.True(steps.Count <= 5, $"{steps.Count} steps were taken; examples from 50 on never arrived");
    }

    /// <summary>
    /// Four loaders, one example a batch, in order: the transform fails on example 3 after the other loaders have
    /// finished the batches behind it (TPL Dataflow may pass those on once a message fails, ordered or not). The failure
    /// travels in order as a value, so the run ends with the transform's own exception after the steps of examples 0
    /// to 2, and no step of a later batch is reported.
    /// </summary>
    [Fact]
    public async Task A_transform_that_throws_ends_the_run_at_its_batch_with_its_exception_whatever_the_loaders()
    {
        var options = new TrainerOptions
        {
            BatchSize = 1,
            Epochs = 1,
            Loaders = 4,
            Shuffle = false,
            Transform = (example, _) =>
            {
                if ((int)example.Features.ToFloat32Array()[0] != 3)
                    return example;
                Thread.Sleep(200);
                throw new InvalidOperationException("cannot augment example 3");
            },
        };
        // Each example's first feature is its index.
        var x = Tensor.FromArray([.. Enumerable.Range(0, 40 * TrainingData.Features).Select(i => i % TrainingData.Features == 0 ? (float)(i / TrainingData.Features) : 0f)], 40, TrainingData.Features);
        var t = Tensor.FromArray([.. Enumerable.Range(0, 40).Select(i => (long)(i % TrainingData.Classes))], 40);
        // TPL Dataflow lets a later message through only sometimes, so the run is repeated.
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var run = Trainer(options).Train(TrainingData.Model(), DataSource.FromTensors(x, t), RunKey);
            var reading = StepsOf(run);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run.Completion);
            var steps = await reading;
            Assert.Equal("cannot augment example 3", error.Message);
            Assert.Equal([1L, 2L, 3L], steps);
        }
    }

    [Fact]
    public async Task A_model_that_does_not_fit_the_data_faults_the_run_with_the_layers_message()
    {
        var model = new Linear(new Key(1), 5, 3) >> new ReLU();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Trainer(Options).Train(model, TrainingData.Source(100), RunKey).Completion);
        Assert.Contains("Linear '0' expects input [..., 5] but got [5, 6]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_finite_loss_stops_the_run_naming_the_layer()
    {
        var broken = new Linear(Tensor.Full(new Shape(16, TrainingData.Features), double.NaN), Tensor.Zeros(new Shape(16)));
        var model = broken >> new ReLU() >> new Linear(new Key(8), 16, TrainingData.Classes);
        var error = await Assert.ThrowsAsync<NonFiniteLossException>(() => Trainer(Options).Train(model, TrainingData.Source(100), RunKey).Completion);
        Assert.Contains("the output of Linear '0'", error.Message, StringComparison.Ordinal);
        Assert.Equal("0", error.Finding!.Path);
    }

    /// <summary>
    /// Cancellation requested during step 5 (from inside its loss, so the test does not depend on how far the reports
    /// lag behind the training): step 5 completes, no step after it starts, and its checkpoint loads.
    /// </summary>
    [Fact]
    public async Task Cancellation_stops_within_one_step_and_leaves_the_last_checkpoint_loadable()
    {
        var directory = Directory.CreateTempSubdirectory("cancel-").FullName;
        try
        {
            using var cancel = new CancellationTokenSource();
            var losses = 0;
            // Two micro-batches a step, so loss 9 belongs to step 5.
            LossValue CancelingLoss(Tensor y, Tensor t)
            {
                if (Interlocked.Increment(ref losses) == (2 * 4) + 1)
                    cancel.Cancel();
                return Loss.CrossEntropy(y, t);
            }
            var policy = new CheckpointPolicy(directory, EverySteps: 1);
            var trainer = new Trainer<Chain>(Optimizers.Sgd(0.1), CancelingLoss, Options with { Epochs = 1000, Checkpoints = policy });
            var run = trainer.Train(TrainingData.Model(), TrainingData.Source(100), RunKey, cancel.Token);
            var steps = new List<long>();
            await foreach (var report in run.Reports.OfType<StepReport>())
                steps.Add(report.Step);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Completion);
            Assert.Equal(5, steps.Max());
            Assert.Equal(10, losses);
            var checkpoint = TrainingCheckpoint.Load(policy.LastPath, TrainingData.Model(), Optimizers.Sgd(0.1));
            Assert.Equal(5, checkpoint.Progress.Step);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A source far faster than training never holds more than the graph's stated bound of examples in flight.</summary>
    [Fact]
    public async Task Bounded_blocks_keep_the_examples_in_flight_under_the_stated_bound()
    {
        var (x, t) = TrainingData.Make(64);
        long produced = 0, trained = 0, mostInFlight = 0;
        var source = DataSource.FromExamples(() => Enumerable.Range(0, 20_000).Select(i =>
        {
            Interlocked.Increment(ref produced);
            return new Example(x[i % 64], t[i % 64]);
        }));
        var trainer = new Trainer<Chain>(Optimizers.Sgd(0.1), (y, targets) =>
        {
            mostInFlight = Math.Max(mostInFlight, Interlocked.Read(ref produced) - trained);
            trained += targets.Shape[0];
            Thread.Sleep(1);
            return Loss.CrossEntropy(y, targets);
        }, new TrainerOptions { BatchSize = 8, Epochs = 1, MaxSteps = 200, ShuffleBuffer = 16 });
        var run = trainer.Train(TrainingData.Model(), source, RunKey);
        await run.Completion;
        Assert.InRange(mostInFlight, 1, run.MaxExamplesInFlight);
        Assert.True(run.MaxExamplesInFlight < 200, $"the bound {run.MaxExamplesInFlight} is not small");
    }

    [Fact]
    public async Task Step_and_time_limits_stop_the_run_with_their_reason()
    {
        var byStep = await Trainer(Options with { Epochs = 100, MaxSteps = 7 }).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion;
        Assert.Equal((7L, "the step limit (7)"), (byStep.Steps, byStep.StopReason));
        var byTime = await Trainer(Options with { Epochs = 100_000, MaxTime = TimeSpan.FromMilliseconds(200) }).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion;
        Assert.StartsWith("the time limit", byTime.StopReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Steps_examples_and_losses_are_published_as_System_Diagnostics_Metrics()
    {
        long steps = 0, examples = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Pipelines.Training")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "pipelines.training.steps")
                Interlocked.Add(ref steps, value);
            if (instrument.Name == "pipelines.training.examples")
                Interlocked.Add(ref examples, value);
        });
        listener.Start();
        var before = (Interlocked.Read(ref steps), Interlocked.Read(ref examples));
        await Trainer(Options with { Epochs = 1 }).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion;
        Assert.True(Interlocked.Read(ref steps) - before.Item1 >= 10);
        Assert.True(Interlocked.Read(ref examples) - before.Item2 >= 100);
    }
}
