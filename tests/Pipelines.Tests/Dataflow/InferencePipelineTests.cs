using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>The inference pipeline: batched results are bitwise the single ones, every request gets exactly one outcome.</summary>
public sealed class InferencePipelineTests
{
    private static readonly Chain Mlp = new Linear(new Key(1), 20, 32) >> new ReLU() >> new Linear(new Key(2), 32, 5);

    private static Tensor Input(int i) => Tensor.Normal(new Key(100).Fold((ulong)i), new Shape(20));

    private static Tensor Alone(Layer model, Tensor x) => model.Forward(x.Reshape(new Shape([1, .. x.Shape.Dims])))[0];

    [Fact]
    public async Task Concurrent_requests_are_batched_and_each_result_is_bitwise_its_own_forward()
    {
        await using var pipeline = new InferencePipeline(Mlp, new InferenceOptions { MaxBatchSize = 16, MaxDelay = TimeSpan.FromMilliseconds(5) });
        var batchSizes = new List<int>();
        using var listener = Listen<int>("pipelines.inference.batch.size", batchSizes.Add);
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => pipeline.InferAsync(Input(i))));
        for (var i = 0; i < 100; i++)
            Assert.True(results[i].BitwiseEquals(Alone(Mlp, Input(i))), $"request {i}");
        lock (batchSizes)
            Assert.Contains(batchSizes, size => size > 1);
    }

    [Fact]
    public async Task A_wrong_shape_fails_that_request_at_entry_with_the_layers_message_and_others_are_served()
    {
        await using var pipeline = new InferencePipeline(Mlp);
        var good = pipeline.InferAsync(Input(0));
        var bad = pipeline.InferAsync(Tensor.Zeros(new Shape(7)));
        Assert.True(bad.IsFaulted);
        Assert.Contains("Linear '0' expects input [..., 20] but got [1, 7]", (await Assert.ThrowsAsync<ArgumentException>(() => bad)).Message, StringComparison.Ordinal);
        Assert.True((await good).BitwiseEquals(Alone(Mlp, Input(0))));
    }

    [Fact]
    public async Task A_full_queue_rejects_with_a_clear_error_and_a_completed_pipeline_takes_nothing()
    {
        var slow = new Slow(Mlp, TimeSpan.FromMilliseconds(200));
        var pipeline = new InferencePipeline(slow, new InferenceOptions { MaxBatchSize = 1, QueueCapacity = 2, MaxDelay = TimeSpan.Zero });
        var requests = Enumerable.Range(0, 8).Select(i => pipeline.InferAsync(Input(i))).ToList();
        var rejected = await Assert.ThrowsAsync<InferenceRejectedException>(() => requests[^1]);
        Assert.Contains("queue is full (2 requests)", rejected.Message, StringComparison.Ordinal);
        pipeline.Complete();
        var late = await Assert.ThrowsAsync<InferenceRejectedException>(() => pipeline.InferAsync(Input(9)));
        Assert.Contains("has completed", late.Message, StringComparison.Ordinal);
        await pipeline.Completion;
        Assert.All(requests, r => Assert.True(r.IsCompleted));
    }

    [Fact]
    public async Task A_model_that_throws_fails_its_batchs_requests_with_the_original_exception_and_serving_goes_on()
    {
        var flaky = new Flaky(Mlp, new StrongBox<bool>(false));
        await using var pipeline = new InferencePipeline(flaky, new InferenceOptions { MaxBatchSize = 1, MaxDelay = TimeSpan.Zero });
        await pipeline.InferAsync(Input(0));
        flaky.FailNext.Value = true;
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => pipeline.InferAsync(Input(1)));
        Assert.Equal("the model failed on purpose", error.Message);
        Assert.True((await pipeline.InferAsync(Input(2))).BitwiseEquals(Alone(Mlp, Input(2))));
    }

    [Fact]
    public async Task A_request_canceled_while_its_batch_forms_leaves_at_once_and_delays_no_one()
    {
        await using var pipeline = new InferencePipeline(Mlp, new InferenceOptions { MaxBatchSize = 64, MaxDelay = TimeSpan.FromSeconds(3) });
        using var cancel = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var canceled = pipeline.InferAsync(Input(0), cancel.Token);
        // Long enough for the gatherer to take the request as the first of a forming batch, whose delay it would set.
        await Task.Delay(50);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canceled);
        Assert.True(clock.ElapsedMilliseconds < 2000, "the canceled request waited for its batch");
        await Task.WhenAll(Enumerable.Range(1, 64).Select(i => pipeline.InferAsync(Input(i))));
        // The canceled request held no place and set no delay: 64 others filled the batch, which ran without waiting out the delay.
        Assert.True(clock.ElapsedMilliseconds < 2000, $"the batch waited {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_request_past_its_deadline_times_out_and_the_rest_of_the_batch_is_served()
    {
        var slow = new Slow(Mlp, TimeSpan.FromMilliseconds(150));
        await using var pipeline = new InferencePipeline(slow, new InferenceOptions { MaxBatchSize = 1, MaxDelay = TimeSpan.Zero });
        var first = pipeline.InferAsync(Input(0));
        var hurried = pipeline.InferAsync(Input(1), TimeSpan.FromMilliseconds(30));
        var patient = pipeline.InferAsync(Input(2), TimeSpan.FromSeconds(30));
        Assert.Contains("passed its deadline", (await Assert.ThrowsAsync<TimeoutException>(() => hurried)).Message, StringComparison.Ordinal);
        await first;
        Assert.True((await patient).BitwiseEquals(Alone(Mlp, Input(2))));
    }

    [Fact]
    public async Task Requests_of_different_shapes_go_in_different_batches()
    {
        await using var pipeline = new InferencePipeline(Mlp, new InferenceOptions { MaxDelay = TimeSpan.FromMilliseconds(5) });
        var inputs = Enumerable.Range(0, 30).Select(i => i % 3 == 0 ? Tensor.Normal(new Key((ulong)i), new Shape(4, 20)) : Input(i)).ToList();
        var results = await Task.WhenAll(inputs.Select(x => pipeline.InferAsync(x)));
        for (var i = 0; i < inputs.Count; i++)
            Assert.True(results[i].BitwiseEquals(Alone(Mlp, inputs[i])), $"request {i} of shape {inputs[i].Shape}");
    }

    [Fact]
    public async Task The_block_gives_outputs_in_input_order_and_no_output_after_a_failure()
    {
        await using var pipeline = new InferencePipeline(Mlp, new InferenceOptions { MaxDelay = TimeSpan.FromMilliseconds(1), Parallelism = 2, MaxBatchSize = 4 });
        var block = pipeline.AsBlock();
        var outputs = new List<Tensor>();
        var sink = new ActionBlock<Tensor>(outputs.Add);
        block.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });
        for (var i = 0; i < 50; i++)
            await block.SendAsync(Input(i));
        block.Complete();
        await sink.Completion;
        Assert.Equal(50, outputs.Count);
        for (var i = 0; i < 50; i++)
            Assert.True(outputs[i].BitwiseEquals(Alone(Mlp, Input(i))), $"output {i}");

        var failing = pipeline.AsBlock();
        var after = new List<Tensor>();
        var collect = new ActionBlock<Tensor>(after.Add);
        failing.LinkTo(collect, new DataflowLinkOptions { PropagateCompletion = true });
        await failing.SendAsync(Input(0));
        await failing.SendAsync(Tensor.Zeros(new Shape(3)));
        await failing.SendAsync(Input(2));
        failing.Complete();
        await Assert.ThrowsAnyAsync<Exception>(() => collect.Completion);
        Assert.Single(after);
    }

    /// <summary>
    /// A bounded, non-greedy BatchBlock leaves offered messages with their source until it can take a whole batch, and
    /// has no clock: a lone request would wait for company forever. The pipeline gathers from its queue against the
    /// first request's delay instead, so a lone request runs after <see cref="InferenceOptions.MaxDelay"/>.
    /// </summary>
    [Fact]
    public async Task A_non_greedy_bounded_BatchBlock_holds_a_lone_message_but_the_pipeline_serves_it_after_the_delay()
    {
        var source = new BufferBlock<int>();
        var batches = new BatchBlock<int>(3, new GroupingDataflowBlockOptions { Greedy = false, BoundedCapacity = 3 });
        source.LinkTo(batches);
        source.Post(1);
        await Task.Delay(100);
        Assert.Equal(1, source.Count);
        Assert.Equal(0, batches.OutputCount);

        await using var pipeline = new InferencePipeline(Mlp, new InferenceOptions { MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(50) });
        var lone = pipeline.InferAsync(Input(0));
        Assert.Same(lone, await Task.WhenAny(lone, Task.Delay(TimeSpan.FromSeconds(5))));
    }

    private static MeterListener Listen<T>(string instrument, Action<T> record)
        where T : struct
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Name == instrument)
                l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<T>((_, value, _, _) =>
        {
            lock (record)
                record(value);
        });
        listener.Start();
        return listener;
    }

    /// <summary>A model that takes a while per batch.</summary>
    private sealed record Slow(Layer Inner, TimeSpan Delay) : Layer
    {
        public override LayerParts Parts => new() { Children = [("inner", Inner)] };

        protected override Layer Rebuild(LayerParts parts) => this with { Inner = parts.Child<Layer>("inner") };

        protected override Traced ForwardCore(Tensor x, ForwardContext context)
        {
            Thread.Sleep(Delay);
            var inner = Inner.Forward(x, context.Child("inner"));
            return new Traced(inner.Output, inner.Trace, WithChildren([inner.Next]));
        }

        protected override (Tensor? Dx, Layer Gradient) BackwardCore(Pipelines.Layers.Trace trace, Tensor dy, bool inputGradient) => throw new NotSupportedException("Inference only.");
    }

    /// <summary>A model that fails its next forward pass when told to.</summary>
    private sealed record Flaky(Layer Inner, StrongBox<bool> FailNext) : Layer
    {
        public override LayerParts Parts => new() { Children = [("inner", Inner)] };

        protected override Layer Rebuild(LayerParts parts) => this with { Inner = parts.Child<Layer>("inner") };

        protected override Traced ForwardCore(Tensor x, ForwardContext context)
        {
            if (FailNext.Value)
            {
                FailNext.Value = false;
                throw new InvalidDataException("the model failed on purpose");
            }
            var inner = Inner.Forward(x, context.Child("inner"));
            return new Traced(inner.Output, inner.Trace, WithChildren([inner.Next]));
        }

        protected override (Tensor? Dx, Layer Gradient) BackwardCore(Pipelines.Layers.Trace trace, Tensor dy, bool inputGradient) => throw new NotSupportedException("Inference only.");
    }
}
