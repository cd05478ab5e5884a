using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>Early stopping and checkpoint selection are pure functions of the evaluations, and the run follows them.</summary>
public sealed class TrainerPolicyTests
{
    [Theory]
    [InlineData(new[] { 1.0, 0.9, 0.8 }, 2, false, 2)]
    [InlineData(new[] { 1.0, 0.9, 0.95, 0.91 }, 2, true, 1)]
    [InlineData(new[] { 1.0, 0.9, 0.95 }, 2, false, 1)]
    [InlineData(new[] { 1.0, 0.9999, 0.9998 }, 2, true, 0)]
    public void Early_stopping_decides_from_the_history_alone(double[] history, int patience, bool stop, int best)
    {
        var rule = new EarlyStopping(Patience: patience, MinDelta: 0.001);
        Assert.Equal((stop, best), rule.Decide(history));
        Assert.Equal((false, 2), new EarlyStopping(Mode: MonitorMode.Max, Patience: 3).Decide([0.1, 0.5, 0.9]));
    }

    [Fact]
    public void Best_checkpoints_are_the_k_best_evaluations_earliest_first_on_ties()
    {
        var policy = new CheckpointPolicy("unused", Monitor: "loss", KeepBest: 2);
        Assert.Equal([20L, 10L], policy.Best([(10, 0.5), (20, 0.4), (30, 0.5), (40, double.NaN)]));
        Assert.Equal([30L, 10L], (policy with { Mode = MonitorMode.Max }).Best([(10, 0.5), (20, 0.4), (30, 0.6)]));
    }

    /// <summary>A run that stops early returns the model of its best evaluation, keeps that checkpoint, and replays to the same decision.</summary>
    [Fact]
    public async Task A_run_stops_early_restores_its_best_model_and_keeps_the_best_checkpoints()
    {
        var directory = Directory.CreateTempSubdirectory("best-").FullName;
        try
        {
            var validation = TrainingData.Source(30, seed: 5);
            var options = new TrainerOptions
            {
                BatchSize = 8,
                Epochs = 200,
                Validation = validation,
                Metrics = [Metric.Accuracy],
                EarlyStopping = new EarlyStopping(Patience: 3, MinDelta: 1e-4),
                Checkpoints = new CheckpointPolicy(directory, Monitor: "loss", KeepBest: 2),
            };
            // A large rate over-fits a tiny training set fast, so validation loss turns up and stopping is certain.
            var trainer = new Trainer<Chain>(Optimizers.Adam(0.1), (y, t) => Loss.CrossEntropy(y, t), options);
            var result = await trainer.Train(TrainingData.Model(), TrainingData.Source(24), new Key(3)).Completion;
            Assert.StartsWith("early stopping", result.StopReason, StringComparison.Ordinal);
            var losses = result.Evaluations.Select(e => e.Metrics["loss"]).ToList();
            var (stop, best) = options.EarlyStopping.Decide(losses);
            Assert.True(stop);
            Assert.Equal(losses[best], (await trainer.EvaluateAsync(result.Model, validation))["loss"]);
            var kept = options.Checkpoints.Best([.. result.Evaluations.Select(e => (e.Step, e.Metrics["loss"]))]);
            Assert.Equal(kept.Select(options.Checkpoints.BestPath).Order(), Directory.GetFiles(directory, "best-*").Order());
            var bestCheckpoint = TrainingCheckpoint.Load(options.Checkpoints.BestPath(result.Evaluations[best].Step), TrainingData.Model(), Optimizers.Adam(0.1));
            Assert.Null(Same.Tensors(bestCheckpoint.Model, result.Model));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>ReduceLROnPlateau inside the optimizer is fed each evaluation's monitored metric by the trainer.</summary>
    [Fact]
    public async Task The_plateau_scale_follows_the_validation_metric()
    {
        var optimizer = Optimizers.Chain(Optimizers.Adam(0.05), Optimizers.ReduceOnPlateau(factor: 0.5, patience: 0));
        var options = new TrainerOptions { BatchSize = 8, Epochs = 12, Validation = TrainingData.Source(30, seed: 5) };
        var result = await new Trainer<Chain>(optimizer, (y, t) => Loss.CrossEntropy(y, t), options).Train(TrainingData.Model(), TrainingData.Source(24), new Key(3)).Completion;
        var plateau = (PlateauState)((ChainState)result.State).States[1];
        var losses = result.Evaluations.Select(e => e.Metrics["loss"]).ToList();
        var expected = optimizer.Init(TrainingData.Model());
        foreach (var loss in losses)
            expected = expected.Observe(loss);
        Assert.Equal(((PlateauState)((ChainState)expected).States[1]).Scale, plateau.Scale);
        Assert.True(plateau.Scale < 1);
    }
}
