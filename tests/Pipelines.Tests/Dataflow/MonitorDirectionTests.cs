using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>
/// Which way a monitored metric improves comes from the metric (one <see cref="MonitorMode"/> for early stopping, best
/// checkpoints and the plateau), can be overridden, and a NaN evaluation is never the best one.
/// </summary>
public sealed class MonitorDirectionTests
{
    [Fact]
    public void Early_stopping_on_accuracy_takes_higher_as_better_from_the_metric()
    {
        var rule = new EarlyStopping("accuracy", Patience: 2);
        // Accuracy rising: no stop, the best is the last.
        Assert.Equal((false, 3), rule.Decide([0.5, 0.6, 0.7, 0.8]));
        Assert.Equal((false, 3), rule.Decide([0.5, 0.6, 0.7, 0.8], Metric.Accuracy.Mode));
        // Accuracy falling after its peak: stop, the best is the peak.
        Assert.Equal((true, 1), rule.Decide([0.5, 0.9, 0.7, 0.6]));
        // An explicit mode wins over the metric's.
        Assert.Equal((true, 0), (rule with { Mode = MonitorMode.Min }).Decide([0.5, 0.6, 0.7, 0.8]));
    }

    [Fact]
    public void A_nan_evaluation_is_never_the_best()
    {
        Assert.Equal((false, 3), new EarlyStopping(Patience: 2).Decide([double.NaN, 0.5, 0.4, 0.3]));
        Assert.Equal((false, 3), new EarlyStopping("accuracy", Patience: 2).Decide([double.NaN, 0.5, 0.6, 0.7]));
        Assert.Equal((true, 1), new EarlyStopping(Patience: 2).Decide([0.5, 0.4, double.NaN, double.NaN]));
        // Nothing measured at all: no best, and patience runs out from the first evaluation.
        Assert.Equal((true, -1), new EarlyStopping(Patience: 2).Decide([double.NaN, double.NaN, double.NaN]));
        Assert.Equal((false, -1), new EarlyStopping(Patience: 2).Decide([double.NaN, double.NaN]));
    }

    [Fact]
    public void Best_checkpoints_rank_by_the_metrics_direction()
    {
        var policy = new CheckpointPolicy("unused", Monitor: "accuracy", KeepBest: 2);
        Assert.Equal([30L, 10L], policy.Best([(10, 0.5), (20, 0.4), (30, 0.6), (40, double.NaN)]));
        Assert.Equal([20L, 10L], (policy with { Mode = MonitorMode.Min }).Best([(10, 0.5), (20, 0.4), (30, 0.6)]));
    }

    [Fact]
    public void A_metric_the_library_does_not_know_needs_a_mode()
    {
        var error = Assert.Throws<ArgumentException>(() => new EarlyStopping("top5").Decide([0.1]));
        Assert.Contains("cannot tell which way 'top5' improves", error.Message, StringComparison.Ordinal);
        Assert.Equal((false, 0), new EarlyStopping("top5", Mode: MonitorMode.Max).Decide([0.1]));
        Assert.Equal((false, 0), new EarlyStopping("top5").Decide([0.1], MonitorMode.Max));
    }

    [Fact]
    public void The_plateau_follows_the_direction_it_is_given_and_ignores_nan()
    {
        var plateau = Optimizers.ReduceOnPlateau(factor: 0.5, patience: 0);
        var model = new Linear(new Key(1), 2, 2);
        // Rising accuracy observed as a higher-is-better metric never reduces the rate.
        var rising = plateau.Init(model);
        foreach (var accuracy in new[] { 0.5, 0.6, 0.7 })
            rising = rising.Observe(accuracy, MonitorMode.Max);
        Assert.Equal(1.0, ((PlateauState)rising).Scale);
        // The same values as a loss (PyTorch's default, mode='min') reduce it twice.
        var asLoss = plateau.Init(model);
        foreach (var value in new[] { 0.5, 0.6, 0.7 })
            asLoss = asLoss.Observe(value);
        Assert.Equal(0.25, ((PlateauState)asLoss).Scale);
        // A NaN is a bad observation like any other: the best stays the last finite one and the rate drops.
        var withNan = plateau.Init(model).Observe(0.5).Observe(double.NaN);
        Assert.Equal(0.5, ((PlateauState)withNan).Best);
        Assert.Equal(0.5, ((PlateauState)withNan).Scale);
    }

    /// <summary>Through the trainer: early stopping on validation accuracy with RestoreBest returns the best-accuracy model, not the worst.</summary>
    [Fact]
    public async Task A_run_stopping_on_accuracy_returns_the_model_of_its_highest_accuracy()
    {
        var validation = TrainingData.Source(60, seed: 5);
        var options = new TrainerOptions
        {
            BatchSize = 8,
            Epochs = 40,
            Validation = validation,
            Metrics = [Metric.Accuracy],
            EarlyStopping = new EarlyStopping("accuracy", Patience: 4),
        };
        var trainer = new Trainer<Chain>(Optimizers.Adam(0.02), (y, t) => Loss.CrossEntropy(y, t), options);
        var result = await trainer.Train(TrainingData.Model(), TrainingData.Source(48), new Key(3)).Completion;
        var accuracies = result.Evaluations.Select(e => e.Metrics["accuracy"]).ToList();
        Assert.True(accuracies.Max() > accuracies[0], "the model learned something, so the best evaluation is not the first");
        var restored = (await trainer.EvaluateAsync(result.Model, validation))["accuracy"];
        Assert.Equal(accuracies.Max(), restored);
    }

    /// <summary>The plateau watches the metric it is given, apart from early stopping's: replaying that metric's evaluations gives the run's scale.</summary>
    [Fact]
    public async Task The_plateau_observes_its_own_monitor_in_its_direction()
    {
        var options = new TrainerOptions
        {
            BatchSize = 8,
            Epochs = 6,
            Validation = TrainingData.Source(30, seed: 5),
            Metrics = [Metric.Accuracy],
            PlateauMonitor = "accuracy",
        };
        var plateau = Optimizers.ReduceOnPlateau(factor: 0.5, patience: 0);
        var trainer = new Trainer<Chain>(Optimizers.Chain(Optimizers.Adam(0.5), plateau), (y, t) => Loss.CrossEntropy(y, t), options);
        var result = await trainer.Train(TrainingData.Model(), TrainingData.Source(48), new Key(3)).Completion;
        double Replayed(string metric, MonitorMode mode) =>
            ((PlateauState)result.Evaluations.Aggregate(plateau.Init(TrainingData.Model()), (state, e) => state.Observe(e.Metrics[metric], mode))).Scale;
        var scale = ((PlateauState)((ChainState)result.State).States[1]).Scale;
        Assert.Equal(Replayed("accuracy", MonitorMode.Max), scale);
        Assert.NotEqual(Replayed("loss", MonitorMode.Min), scale);
        var error = Assert.Throws<ArgumentException>(() => new Trainer<Chain>(Optimizers.Sgd(0.1), (y, t) => Loss.CrossEntropy(y, t), options with { PlateauMonitor = "top5" }));
        Assert.Contains("TrainerOptions.PlateauMonitor is 'top5', which is not among the evaluated metrics (loss, accuracy)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_trainer_refuses_a_monitor_that_is_not_evaluated()
    {
        var options = new TrainerOptions { Validation = TrainingData.Source(10), EarlyStopping = new EarlyStopping("accuracy") };
        var error = Assert.Throws<ArgumentException>(() => new Trainer<Chain>(Optimizers.Sgd(0.1), (y, t) => Loss.CrossEntropy(y, t), options));
        Assert.Contains("TrainerOptions.EarlyStopping.Monitor is 'accuracy', which is not among the evaluated metrics (loss)", error.Message, StringComparison.Ordinal);
    }
}
