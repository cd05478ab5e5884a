using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Properties.Dataflow;

/// <summary>A small training run: data, batching, micro-batches, the optimizer and a key, printable so a failure can be rebuilt.</summary>
public sealed record RunCase(int Examples, int BatchSize, int MicroBatches, int Epochs, bool Streamed, RunOptimizer Optimizer, ulong Seed)
{
    public DataSource Source()
    {
        var key = new Key(Seed);
        var x = Tensor.Normal(key.Fold(0), new Shape(Examples, 5));
        var t = Tensor.FromArray(Enumerable.Range(0, Examples).Select(i => (long)(i % 3)).ToArray(), Examples);
        return Streamed ? DataSource.FromExamples(() => Enumerable.Range(0, Examples).Select(i => new Example(x[i], t[i]))) : DataSource.FromTensors(x, t);
    }

    public static Chain Model() => new Linear(new Key(1), 5, 8) >> new ReLU() >> new Dropout(0.2) >> new Linear(new Key(2), 8, 3);

    /// <summary>
    /// The run's trainer. Donated arrays are poisoned, so any read of a gradient, parameter or moment after the graph gave
    /// it up shows as NaN (or as the donation error) and breaks the law it happens in.
    /// </summary>
    public Trainer<Chain> Trainer(int workers, long? maxSteps = null, CheckpointPolicy? checkpoints = null, bool poison = true) => new(
        Optimizer switch
        {
            RunOptimizer.AdamW => Optimizers.AdamW(1e-2),
            RunOptimizer.SgdMomentum => Optimizers.Sgd(0.1, momentum: 0.9),
            _ => Optimizers.Chain(Optimizers.ClipByGlobalNorm(0.5), Optimizers.AdamW(1e-2)),
        },
        (y, t) => Loss.CrossEntropy(y, t),
        new TrainerOptions { BatchSize = BatchSize, MicroBatches = MicroBatches, Epochs = Epochs, Workers = workers, Loaders = workers, ShuffleBuffer = 7, MaxSteps = maxSteps, Checkpoints = checkpoints, PoisonDonations = poison });

    public long TotalSteps => (long)Epochs * ((Examples + BatchSize - 1) / BatchSize);
}

/// <summary>The optimizers a run law trains with: the fused AdamW written over its state, SGD whose momentum keeps the first gradient, and the README's clipped AdamW chain.</summary>
public enum RunOptimizer
{
    AdamW,
    SgdMomentum,
    ClippedAdamW,
}

public static class RunArbitraries
{
    public static Arbitrary<RunCase> Runs() =>
        (from examples in Gen.Elements(1, 2, 7, 13, 40)
         from batch in Gen.Elements(1, 3, 8, 16)
         from micro in Gen.Elements(1, 2, 3)
         from epochs in Gen.Elements(1, 2)
         from streamed in Gen.Elements(true, false)
         from optimizer in Gen.Elements(Enum.GetValues<RunOptimizer>())
         from seed in Generators.Seed
         select new RunCase(examples, batch, micro, epochs, streamed, optimizer, seed)).ToArbitrary();
}

/// <summary>The dataflow laws: worker count never changes a bit; a resume equals the uninterrupted run.</summary>
[Properties(Arbitrary = [typeof(RunArbitraries)], MaxTest = 12)]
public sealed class TrainingLaws
{
    /// <summary>Any worker count gives the bits of one, and poisoning what each step donates changes none of them (nothing reads it).</summary>
    [Property]
    public Property Training_gives_the_same_bits_for_1_2_and_3_workers(RunCase c)
    {
        var unpoisoned = c.Trainer(1, poison: false).Train(RunCase.Model(), c.Source(), new Key(c.Seed)).Completion.GetAwaiter().GetResult();
        var runs = new[] { 1, 2, 3 }.Select(w => c.Trainer(w).Train(RunCase.Model(), c.Source(), new Key(c.Seed)).Completion.GetAwaiter().GetResult()).ToList();
        var same = runs.All(r => Compare.ParametersBitwise(unpoisoned.Model, r.Model) is null && r.Steps == unpoisoned.Steps);
        return same.Label(c.ToString());
    }

    [Property]
    public Property Resuming_from_any_step_with_any_worker_count_equals_the_uninterrupted_run(RunCase c, PositiveInt stop, bool otherWorkers)
    {
        var directory = Directory.CreateTempSubdirectory("law-resume-").FullName;
        try
        {
            var key = new Key(c.Seed);
            var uninterrupted = c.Trainer(1).Train(RunCase.Model(), c.Source(), key).Completion.GetAwaiter().GetResult();
            var at = 1 + ((stop.Get - 1) % Math.Max(1, c.TotalSteps));
            var policy = new CheckpointPolicy(directory);
            c.Trainer(1, maxSteps: at, checkpoints: policy).Train(RunCase.Model(), c.Source(), key).Completion.GetAwaiter().GetResult();
            var resumed = c.Trainer(otherWorkers ? 2 : 1).Resume(RunCase.Model(), policy.LastPath, c.Source()).Completion.GetAwaiter().GetResult();
            return (Compare.ParametersBitwise(uninterrupted.Model, resumed.Model) is null && uninterrupted.Steps == resumed.Steps)
                .Label($"{c}, stopped at step {at}, resumed with {(otherWorkers ? 2 : 1)} workers");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
