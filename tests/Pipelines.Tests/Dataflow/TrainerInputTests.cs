using Pipelines.Dataflow;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>
/// What a new user meets first: options and data that would train zero steps or uphill get a clear error (or, where
/// zero work is legitimate, a report saying so); an update that overflows is never checkpointed; and a bad example is
/// named by its index in the data, with steps counted from 1 everywhere.
/// </summary>
public sealed class TrainerInputTests
{
    private static readonly Key RunKey = new(11);

    private static Trainer<Chain> Trainer(TrainerOptions options, GradientTransformation? optimizer = null) =>
        new(optimizer ?? Optimizers.Sgd(0.1), (y, t) => Loss.CrossEntropy(y, t), options);

    /// <summary>A CSV read with its class column trains as it is; one read without targets is refused, saying how to read it.</summary>
    [Fact]
    public async Task A_csv_table_trains_through_FromCsv_and_one_without_targets_is_refused()
    {
        var path = Path.Combine(Architecture.SourceTree.Root, "examples", "Pipelines.Examples", "Data", "wine_data.csv");
        var wine = Csv.Read(path, new CsvOptions(SkipLines: 1));
        var source = DataSource.FromCsv(wine);
        Assert.Equal(wine.Features.Shape[0], source.Count);
        var model = new Linear(new Key(1), wine.Features.Shape[1], 8) >> new ReLU() >> new Linear(new Key(2), 8, 3);
        var result = await Trainer(new TrainerOptions { BatchSize = 32, Epochs = 2 }, Optimizers.Adam(1e-3)).Train(model, source, RunKey).Completion;
        Assert.Equal(2 * ((wine.Features.Shape[0] + 31) / 32), result.Steps);
        var error = Assert.Throws<ArgumentException>(() => DataSource.FromCsv(Csv.Read(path, new CsvOptions(SkipLines: 1, Target: CsvTarget.None))));
        Assert.Contains("read the CSV with a target column", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_learning_rate_is_refused()
    {
        foreach (var make in new Func<GradientTransformation>[] { () => Optimizers.Sgd(-0.1), () => Optimizers.Adam(-1e-3), () => Optimizers.AdamW(double.NaN), () => Optimizers.ScaleByLearningRate(-1) })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(make);
            Assert.Contains("The learning rate must be finite and >= 0", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_schedule_that_turns_negative_fails_at_the_step_it_does()
    {
        var optimizer = Optimizers.Sgd(step => 0.1 - (0.1 * step));
        var model = new Linear(new Key(1), 2, 2);
        var state = optimizer.Init(model);
        var gradient = model.MapParameters((_, p) => Tensor.Ones(p.Shape));
        (model, state) = optimizer.Step(model, gradient, state);
        (model, state) = optimizer.Step(model, gradient, state);
        var error = Assert.Throws<InvalidOperationException>(() => optimizer.Step(model, gradient, state));
        Assert.Contains("gives -0.1", error.Message, StringComparison.Ordinal);
        Assert.Contains("at step 2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Epochs")]
    [InlineData("MaxSteps")]
    [InlineData("MaxTime")]
    public void Options_that_allow_no_step_are_refused_by_name(string option)
    {
        var options = option switch
        {
            "Epochs" => new TrainerOptions { Epochs = 0 },
            "MaxSteps" => new TrainerOptions { MaxSteps = 0 },
            _ => new TrainerOptions { MaxTime = TimeSpan.Zero },
        };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(options));
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"TrainerOptions.{option} must be", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_that_gives_no_batch_is_refused_before_the_run_starts()
    {
        var empty = DataSource.FromTensors(Tensor.Zeros(new Shape(0, TrainingData.Features)), Tensor.FromArray(Array.Empty<long>(), 0));
        var none = Assert.Throws<ArgumentException>(() => Trainer(new TrainerOptions()).Train(TrainingData.Model(), empty, RunKey));
        Assert.Contains("has no examples", none.Message, StringComparison.Ordinal);
        var dropped = Assert.Throws<ArgumentException>(() => Trainer(new TrainerOptions { BatchSize = 64, DropLast = true }).Train(TrainingData.Model(), TrainingData.Source(40), RunKey));
        Assert.Contains("DropLast with BatchSize 64 drops every example of a data source of 40", dropped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_that_gives_no_batch_faults_the_run()
    {
        var (x, t) = TrainingData.Make(10);
        var empty = DataSource.FromExamples(() => []);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Trainer(new TrainerOptions()).Train(TrainingData.Model(), empty, RunKey).Completion);
        Assert.Equal("Epoch 0 of the training data gave no examples.", error.Message);
        var short_ = DataSource.FromExamples(() => Enumerable.Range(0, 10).Select(i => new Example(x[i], t[i])));
        var dropped = await Assert.ThrowsAsync<InvalidOperationException>(() => Trainer(new TrainerOptions { BatchSize = 16, DropLast = true }).Train(TrainingData.Model(), short_, RunKey).Completion);
        Assert.Contains("no full batch of 16 examples", dropped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_step_limit_takes_exactly_that_many_steps_and_a_finished_run_reports_zero_steps()
    {
        var directory = Directory.CreateTempSubdirectory("limits-").FullName;
        try
        {
            var policy = new CheckpointPolicy(directory);
            var once = await Trainer(new TrainerOptions { BatchSize = 10, MaxSteps = 1, Checkpoints = policy }).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion;
            Assert.Equal(1, once.Steps);
            // Resumed with the limit already reached: no step, and the reason says which limit.
            var again = await Trainer(new TrainerOptions { BatchSize = 10, MaxSteps = 1 }).Resume(TrainingData.Model(), policy.LastPath, TrainingData.Source(100)).Completion;
            Assert.Equal(1, again.Steps);
            Assert.Equal("the step limit (1)", again.StopReason);
            // A run whose every epoch is done, resumed: zero steps, said so.
            var done = await Trainer(new TrainerOptions { BatchSize = 50, Checkpoints = policy }).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion;
            Assert.Equal(2, done.Steps);
            var resumed = await Trainer(new TrainerOptions { BatchSize = 50 }).Resume(TrainingData.Model(), policy.LastPath, TrainingData.Source(100)).Completion;
            Assert.Equal(2, resumed.Steps);
            Assert.Equal("every epoch was already done: no steps taken", resumed.StopReason);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A finite loss whose update overflows float32 (a rate of 1e39 is finite in float64, ∞ in float32): the checkpoint is not written.</summary>
    [Fact]
    public async Task An_update_that_makes_parameters_non_finite_is_never_checkpointed()
    {
        var directory = Directory.CreateTempSubdirectory("overflow-").FullName;
        try
        {
            var options = new TrainerOptions { BatchSize = 10, Checkpoints = new CheckpointPolicy(directory, EverySteps: 1) };
            var error = await Assert.ThrowsAsync<NonFiniteParameterException>(() => Trainer(options, Optimizers.Sgd(1e39)).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion);
            Assert.StartsWith("After step 1 the parameter '0.weight' is not finite", error.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(directory));
            // Without checkpoints the returned model is checked as well.
            var unchecked_ = await Assert.ThrowsAsync<NonFiniteParameterException>(() => Trainer(new TrainerOptions { BatchSize = 100 }, Optimizers.Sgd(1e39)).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion);
            Assert.Equal("0.weight", unchecked_.Finding!.Path);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_non_finite_loss_counts_its_step_from_one_as_reports_do()
    {
        // Step 1 overflows the parameters; step 2's loss is then NaN.
        var error = await Assert.ThrowsAsync<NonFiniteLossException>(() => Trainer(new TrainerOptions { BatchSize = 10 }, Optimizers.Sgd(1e39)).Train(TrainingData.Model(), TrainingData.Source(100), RunKey).Completion);
        Assert.StartsWith("Step 2:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrongly_shaped_example_is_named_by_its_index_in_the_data()
    {
        var (x, t) = TrainingData.Make(40);
        var source = DataSource.FromExamples(() => Enumerable.Range(0, 40).Select(i => new Example(i == 37 ? x[i][..5] : x[i], t[i])));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Trainer(new TrainerOptions { BatchSize = 8 }).Train(TrainingData.Model(), source, RunKey).Completion);
        Assert.Contains("Example 37 of the data source has features [5] (float32)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    public async Task A_class_index_outside_the_classes_is_named_by_its_index_in_the_data(int microBatches, int workers)
    {
        var (x, t) = TrainingData.Make(40);
        var labels = t.ToInt64Array();
        labels[29] = 7;
        var source = DataSource.FromTensors(x, Tensor.FromArray(labels, 40));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Trainer(new TrainerOptions { BatchSize = 16, MicroBatches = microBatches, Workers = workers }).Train(TrainingData.Model(), source, RunKey).Completion);
        Assert.Equal("Cross-entropy: example 29 of the training data has target class 7, outside [0, 3) and not the ignored index -100.", error.Message);
        Assert.IsType<ClassTargetException>(error.InnerException);
    }

    /// <summary>A seeded split: the same key gives the same parts, every example lands in exactly one, the sizes are exact.</summary>
    [Fact]
    public async Task A_seeded_split_holds_out_an_exact_share_and_covers_every_example_once()
    {
        var ids = Tensor.FromArray([.. Enumerable.Range(0, 50).Select(i => (float)i)], 50, 1);
        var source = DataSource.FromTensors(ids, Tensor.FromArray([.. Enumerable.Range(0, 50).Select(i => (long)i)], 50));
        var (train, validation) = source.Split(0.2, new Key(4));
        Assert.Equal(40, train.Count);
        Assert.Equal(10, validation.Count);
        var trainRows = await Rows(train);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), trainRows.Concat(await Rows(validation)).Order());
        Assert.Equal(trainRows, await Rows(source.Split(0.2, new Key(4)).Train));
        Assert.NotEqual(trainRows, await Rows(source.Split(0.2, new Key(5)).Train));
        Assert.Contains("in (0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => source.Split(1.0, new Key(4))).Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => DataSource.FromExamples(() => []).Split(0.5, new Key(4)));
    }

    /// <summary>The target of each example in order, after checking that its feature (its id) came with it.</summary>
    private static async Task<long[]> Rows(DataSource data)
    {
        var rows = new List<long>();
        await foreach (var plan in data.Plan(new PlanRequest(0, 0, 16, false, null, 1), default))
        {
            var batch = data.Load(plan, null, default);
            var targets = batch.Targets.ToInt64Array();
            Assert.Equal(targets.Select(t => (float)t), batch.Features.ToFloat32Array());
            rows.AddRange(targets);
        }
        return [.. rows];
    }
}
