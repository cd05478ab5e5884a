using Pipelines.Autodiff;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>The training graph gives the bits of a plain loop, for any worker count, across resumes.</summary>
public sealed class TrainerTests
{
    private static readonly Key RunKey = new(2026);

    private static Trainer<Chain> Trainer(TrainerOptions options) =>
        new(Optimizers.AdamW(1e-2), (y, t) => Loss.CrossEntropy(y, t), options);

    private static TrainerOptions Options => new() { BatchSize = 16, Epochs = 3 };

    /// <summary>Step reports give the rate the optimizer stepped with, read from the optimizer itself: through a chain, from a schedule, or none.</summary>
    [Fact]
    public async Task Step_reports_carry_the_optimizers_own_learning_rate()
    {
        var schedule = Schedules.OneCycle(1e-2, 20);
        foreach (var (optimizer, expected) in new (GradientTransformation, Func<long, double?>)[]
        {
            (Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.AdamW(schedule)), step => schedule(step)),
            (Optimizers.Sgd(0.1, momentum: 0.9), _ => 0.1),
            (Optimizers.Chain(Optimizers.ScaleByAdam(), Optimizers.ScaleByLearningRate(0.05)), _ => 0.05),
            (Optimizers.ScaleByAdam(), _ => null),
        })
        {
            var trainer = new Trainer<Chain>(optimizer, (y, t) => Loss.CrossEntropy(y, t), Options with { Epochs = 1 });
            var run = trainer.Train(TrainingData.Model(), TrainingData.Source(100), RunKey);
            var rates = new List<(long Step, double? Rate)>();
            await foreach (var report in run.Reports.OfType<StepReport>())
                rates.Add((report.Step, report.LearningRate));
            await run.Completion;
            Assert.Equal(7, rates.Count);
            Assert.All(rates, r => Assert.Equal(expected(r.Step - 1), r.Rate));
        }
    }

    /// <summary>
    /// The graph's result equals the README's loop over the same batches (ValueAndGrad, optimizer.Step) bitwise, though
    /// the graph writes Adam's steps over the old parameters and its weight gradients into last step's gradient arrays:
    /// SGD with momentum keeps its first gradients as its state, and those must not be reused.
    /// </summary>
    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd-momentum")]
    public async Task The_graph_equals_a_plain_loop_over_the_same_steps_bitwise(string name)
    {
        const int Count = 100;
        GradientTransformation Optimizer() => name == "adamw" ? Optimizers.AdamW(1e-2) : Optimizers.Sgd(0.1, momentum: 0.9);
        var (x, t) = TrainingData.Make(Count);
        var trainer = new Trainer<Chain>(Optimizer(), (y, t) => Loss.CrossEntropy(y, t), Options);
        var result = await trainer.Train(TrainingData.WideModel(), DataSource.FromTensors(x, t), RunKey).Completion;

        var model = TrainingData.WideModel();
        var optimizer = Optimizer();
        var state = optimizer.Init(model);
        long step = 0;
        for (var epoch = 0; epoch < 3; epoch++)
        {
            var order = Shuffling.Permutation(RunKeys.Shuffle(RunKey), epoch, Count);
            for (var start = 0; start < Count; start += 16)
            {
                var rows = order[start..Math.Min(Count, start + 16)];
                var targets = t.IndexSelect(rows);
                var gradient = Gradients.ValueAndGrad(model, x.IndexSelect(rows), y => Loss.CrossEntropy(y, targets), ForwardContext.Training(RunKeys.Step(RunKey, step++)));
                (model, state) = optimizer.Step(gradient, state);
            }
        }
        Assert.Equal(step, result.Steps);
        Assert.Null(Same.Tensors(result.Model, model));
    }

    /// <summary>
    /// The graph writes each step over the parameters and moments of the step before, but only those it made itself: the
    /// model a caller gives it keeps its values, and so does the result once the run is over.
    /// </summary>
    [Fact]
    public async Task Training_leaves_the_given_model_and_the_returned_one_unchanged()
    {
        var given = TrainingData.Model();
        var values = given.NamedParameters().Select(p => p.Value.ToFloat64Array()).ToList();
        var result = await Trainer(Options).Train(given, TrainingData.Source(100), RunKey).Completion;
        Assert.All(given.NamedParameters().Zip(values), pair => Assert.Equal(pair.Second, pair.First.Value.ToFloat64Array()));
        Assert.NotEqual(values[0], result.Model.NamedParameters()[0].Value.ToFloat64Array());
        var returned = result.Model.NamedParameters().Select(p => p.Value.ToFloat64Array()).ToList();
        await Trainer(Options).Train(result.Model, TrainingData.Source(100), RunKey).Completion;
        Assert.All(result.Model.NamedParameters().Zip(returned), pair => Assert.Equal(pair.Second, pair.First.Value.ToFloat64Array()));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Training_gives_the_same_bits_for_any_number_of_workers(int workers)
    {
        var options = Options with { MicroBatches = 4 };
        var one = await Trainer(options with { Workers = 1 }).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion;
        var many = await Trainer(options with { Workers = workers, Loaders = 2 }).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion;
        Assert.Null(Same.Tensors(one.Model, many.Model));
        Assert.True(OptimizerStates.ToTensors(one.State).All(e => e.Value.BitwiseEquals(OptimizerStates.ToTensors(many.State)[e.Key])));
    }

    /// <summary>
    /// k micro-batches give one batch's gradient within float32 rounding, not bitwise: the weight gradient's reduction over
    /// the batch's rows is one chain of multiply-adds for a whole batch and k chains summed for k parts.
    /// </summary>
    [Fact]
    public void Micro_batches_give_the_whole_batchs_gradient_within_rounding()
    {
        var (x, t) = TrainingData.Make(64);
        var model = new Linear(new Key(7), TrainingData.Features, 16) >> new ReLU() >> new Linear(new Key(8), 16, TrainingData.Classes);
        var batch = new Batch(x, t, 0, 0, false);
        Trainer<Chain> Sgd(int microBatches) => new(Optimizers.Sgd(1), (y, t) => Loss.CrossEntropy(y, t), Options with { MicroBatches = microBatches });
        var whole = Sgd(1).Step(model, Optimizers.Sgd(1).Init(model), batch, RunKey);
        var parts = Sgd(4).Step(model, Optimizers.Sgd(1).Init(model), batch, RunKey);
        Assert.Equal(whole.Loss, parts.Loss, 6);
        Assert.Null(Same.Tensors(whole.Model, parts.Model, (a, b) => Same.Close(a, b, 1e-5)));
        Assert.True(whole.Output.BitwiseEquals(parts.Output));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    public async Task Resuming_from_a_checkpoint_at_a_random_step_equals_the_uninterrupted_run(int workersBefore, int workersAfter)
    {
        var directory = Directory.CreateTempSubdirectory("resume-").FullName;
        try
        {
            var options = Options with { MicroBatches = 2, Validation = TrainingData.Source(40, seed: 5), Metrics = [Metric.Accuracy] };
            var uninterrupted = await Trainer(options).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion;
            var stopAt = 3 + (int)(RunKey.Bits64 % 13);
            var policy = new CheckpointPolicy(directory);
            await Trainer(options with { Workers = workersBefore, MaxSteps = stopAt, Checkpoints = policy }).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion;
            var resumed = await Trainer(options with { Workers = workersAfter }).Resume(TrainingData.Model(), policy.LastPath, TrainingData.Source(100)).Completion;
            Assert.Equal(uninterrupted.Steps, resumed.Steps);
            Assert.Null(Same.Tensors(uninterrupted.Model, resumed.Model));
            Assert.Equal(uninterrupted.Evaluations.Select(e => e.Metrics["loss"]), resumed.Evaluations.Select(e => e.Metrics["loss"]));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_streamed_source_trains_resumes_and_keeps_its_partial_last_batch()
    {
        var (x, t) = TrainingData.Make(37);
        var stream = DataSource.FromExamples(() => Enumerable.Range(0, 37).Select(i => new Example(x[i], t[i])));
        var options = Options with { ShuffleBuffer = 8 };
        var reports = new List<TrainingReport>();
        var run = Trainer(options).Train(TrainingData.Model(), stream, RunKey);
        await foreach (var report in run.Reports)
            reports.Add(report);
        var result = await run.Completion;
        Assert.Equal(3 * 3, result.Steps);
        Assert.Equal([16, 16, 5], reports.OfType<StepReport>().Take(3).Select(r => r.Examples));
        var directory = Directory.CreateTempSubdirectory("stream-").FullName;
        try
        {
            var policy = new CheckpointPolicy(directory);
            await Trainer(options with { MaxSteps = 4, Checkpoints = policy }).Train(TrainingData.Model(), stream, RunKey).Completion;
            var resumed = await Trainer(options).Resume(TrainingData.Model(), policy.LastPath, stream).Completion;
            Assert.Null(Same.Tensors(result.Model, resumed.Model));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Reports_come_in_order_and_end_with_the_reason()
    {
        var options = Options with { Validation = TrainingData.Source(40, seed: 5), Metrics = [Metric.Accuracy] };
        var run = Trainer(options).Train(TrainingData.Model(), TrainingData.Source(100), RunKey);
        var reports = new List<TrainingReport>();
        await foreach (var report in run.Reports)
            reports.Add(report);
        await run.Completion;
        Assert.Equal(Enumerable.Range(1, 21).Select(i => (long)i), reports.OfType<StepReport>().Select(r => r.Step));
        Assert.Equal([0, 1, 2], reports.OfType<EpochReport>().Select(r => r.Epoch));
        // Step reports go out in bursts, yet each epoch's report still follows that epoch's last step.
        Assert.All(reports.Select((r, i) => (Report: r, Index: i)).Where(p => p.Report is EpochReport), p => Assert.Equal(p.Report.Step, reports.Take(p.Index).OfType<StepReport>().Last().Step));
        Assert.All(reports.OfType<EvaluationReport>(), e => Assert.InRange(e.Metrics["accuracy"], 0, 1));
        Assert.Equal("every epoch done", Assert.IsType<StoppedReport>(reports[^1]).Reason);
        Assert.True(reports.OfType<EpochReport>().Last().Metrics["loss"] < reports.OfType<EpochReport>().First().Metrics["loss"]);
    }
}
