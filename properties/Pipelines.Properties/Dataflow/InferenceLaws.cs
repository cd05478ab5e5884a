using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Dataflow;

/// <summary>An arrival pattern: requests (some of another shape), pauses between them, and which callers cancel.</summary>
public sealed record ServingCase(int Requests, int MaxBatchSize, int DelayMicroseconds, int Parallelism, int[] Pauses, bool[] Cancels, bool[] Wide, ulong Seed)
{
    public override string ToString() =>
        $"ServingCase({Requests} requests, batch ≤ {MaxBatchSize}, delay {DelayMicroseconds} µs, parallelism {Parallelism}, seed {Seed}, cancel {string.Join("", Cancels.Select(c => c ? '1' : '0'))})";
}

public static class ServingArbitraries
{
    public static Arbitrary<ServingCase> Cases() =>
        (from requests in Gen.Choose(1, 60)
         from maxBatch in Gen.Elements(1, 2, 3, 7, 16, 64)
         from delay in Gen.Elements(0, 100, 1000, 3000)
         from parallelism in Gen.Choose(1, 3)
         from pauses in Gen.ArrayOf(Gen.Frequency((6, Gen.Constant(0)), (1, Gen.Choose(1, 3))), requests)
         from cancels in Gen.ArrayOf(Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true))), requests)
         from wide in Gen.ArrayOf(Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true))), requests)
         from seed in Generators.Seed
         select new ServingCase(requests, maxBatch, delay, parallelism, pauses, cancels, wide, seed)).ToArbitrary();
}

/// <summary>
/// The serving laws: the pipeline is the sequential map (each input alone, as a batch of one), bitwise, for any batch
/// limit, delay, parallelism and arrival pattern: each request's task holds its own input's answer, so there is no
/// order of answers to promise; and every input ends in exactly one outcome, canceled ones included, without hanging.
/// </summary>
[Properties(Arbitrary = [typeof(ServingArbitraries)], MaxTest = 25)]
public sealed class InferenceLaws
{
    private static readonly Chain Model = new Linear(new Key(3), 12, 24) >> new GELU() >> new LayerNorm(new Shape(24)) >> new Linear(new Key(4), 24, 4);

    [Property]
    public Property Serving_is_the_sequential_map_bitwise_with_one_outcome_per_request(ServingCase c)
    {
        var options = new InferenceOptions { MaxBatchSize = c.MaxBatchSize, MaxDelay = TimeSpan.FromMicroseconds(c.DelayMicroseconds), Parallelism = c.Parallelism };
        var pipeline = new InferencePipeline(Model, options);
        var key = new Key(c.Seed);
        var inputs = Enumerable.Range(0, c.Requests).Select(i => Tensor.Normal(key.Fold((ulong)i), c.Wide[i] ? new Shape(3, 12) : new Shape(12))).ToList();
        var cancellations = inputs.Select(_ => new CancellationTokenSource()).ToList();
        var results = new List<Task<Tensor>>();
        for (var i = 0; i < c.Requests; i++)
        {
            if (c.Pauses[i] > 0)
                Thread.Sleep(c.Pauses[i]);
            results.Add(pipeline.InferAsync(inputs[i], cancellations[i].Token));
            if (c.Cancels[i])
                cancellations[(i * 7) % (i + 1)].Cancel();
        }
        pipeline.Complete();
        var finished = Task.WhenAll(results.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default))).Wait(TimeSpan.FromSeconds(20)) && pipeline.Completion.Wait(TimeSpan.FromSeconds(20));
        if (!finished)
            return false.Label($"{c}: not every request ended");
        for (var i = 0; i < c.Requests; i++)
        {
            var outcome = results[i];
            if (outcome.IsCanceled && cancellations[i].IsCancellationRequested)
                continue;
            if (!outcome.IsCompletedSuccessfully)
                return false.Label($"{c}: request {i} ended {outcome.Status} ({outcome.Exception?.InnerException?.Message})");
            var alone = Model.Forward(inputs[i].Reshape(new Shape([1, .. inputs[i].Shape.Dims])))[0];
            if (!outcome.Result.BitwiseEquals(alone))
                return false.Label($"{c}: request {i} differs from its forward alone");
        }
        cancellations.ForEach(s => s.Dispose());
        return true.ToProperty();
    }
}
