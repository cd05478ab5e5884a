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

    /// <summary>A tensor the gated model holds at its gate (any other input passes straight through).</summary>
    private static readonly Tensor Blocker = Tensor.Full(new Shape(20), double.NaN);

    /// <summary>Requests that arrive while a forward pass runs are gathered into batches, and each result is bitwise its own.</summary>
    /// <summary>A client sending ever new shapes is answered right each time, and the shape check remembers a bounded number of them.</summary>
    [Fact]
    public async Task The_shape_check_stays_bounded_however_many_shapes_arrive()
    {
        Layer model = new ReLU();
        await using var pipeline = new InferencePipeline(model);
        for (var width = 1; width <= 3 * InferencePipeline.MaxCheckedShapes; width++)
        {
            var x = Tensor.Normal(new Key((ulong)width), new Shape(width));
            Assert.True((await pipeline.InferAsync(x)).BitwiseEquals(Alone(model, x)), $"width {width}");
            Assert.InRange(pipeline.CheckedShapes, 1, InferencePipeline.MaxCheckedShapes);
        }
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_and_each_result_is_bitwise_its_own_forward()
    {
        using var gated = new Gated(Mlp);
        await using var pipeline = new InferencePipeline(gated, new InferenceOptions { MaxBatchSize = 16, MaxDelay = TimeSpan.FromMilliseconds(5) });
        var batchSizes = new List<int>();
        using var listener = Listen<int>("pipelines.inference.batch.size", batchSizes.Add);
        var blocker = gated.Occupy(pipeline);
        var requests = Enumerable.Range(0, 100).Select(i => pipeline.InferAsync(Input(i))).ToList();
        gated.Open();
        var results = await Task.WhenAll(requests);
        await blocker;
        for (var i = 0; i < 100; i++)
            Assert.True(results[i].BitwiseEquals(Alone(Mlp, Input(i))), $"request {i}");
        lock (batchSizes)
            Assert.Contains(batchSizes, size => size == 16);
    }

    /// <summary>
    /// After a batch of several, the next batch waits for their callers to come back, but for about one forward pass
    /// at most, never the whole delay: a caller left alone is served at once.
    /// </summary>
    [Fact]
    public async Task After_a_busy_spell_a_lone_request_waits_for_company_no_longer_than_a_forward_pass()
    {
        using var gated = new Gated(Mlp);
        await using var pipeline = new InferencePipeline(gated, new InferenceOptions { MaxBatchSize = 16, MaxDelay = TimeSpan.FromSeconds(20) });
        var blocker = gated.Occupy(pipeline);
        var crowd = Enumerable.Range(0, 8).Select(i => pipeline.InferAsync(Input(i))).ToList();
        gated.Open();
        await Task.WhenAll(crowd);
        await blocker;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
            Assert.True((await pipeline.InferAsync(Input(100 + i))).BitwiseEquals(Alone(Mlp, Input(100 + i))));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"three lone requests after a batch of 8 took {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// Many closed-loop callers with cancellations and deadlines, on one and two forward slots: every request ends in
    /// one outcome (a result bitwise its own forward, canceled, or timed out) and the pipeline completes, in bounded time.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Callers_under_load_with_cancellations_each_get_one_outcome_and_the_pipeline_completes(int parallelism)
    {
        var pipeline = new InferencePipeline(Mlp, new InferenceOptions { MaxBatchSize = 8, MaxDelay = TimeSpan.FromMilliseconds(1), Parallelism = parallelism });
        var outcomes = new int[3];
        var callers = Enumerable.Range(0, 12).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            for (var i = 0; i < 150; i++)
            {
                var x = Input((c * 1000) + i);
                using var cancel = new CancellationTokenSource();
                var request = random.Next(4) switch
                {
                    0 => pipeline.InferAsync(x, TimeSpan.FromMilliseconds(random.NextDouble()), cancel.Token),
                    1 => pipeline.InferAsync(x, cancel.Token),
                    _ => pipeline.InferAsync(x),
                };
                if (random.Next(8) == 0)
                    await cancel.CancelAsync();
                try
                {
                    Assert.True((await request).BitwiseEquals(Alone(Mlp, x)));
                    Interlocked.Increment(ref outcomes[0]);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref outcomes[1]);
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref outcomes[2]);
                }
            }
        })).ToList();
        var all = Task.WhenAll(callers);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))));
        await all;
        pipeline.Complete();
        Assert.Same(pipeline.Completion, await Task.WhenAny(pipeline.Completion, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.Equal(12 * 150, outcomes.Sum());
        Assert.True(outcomes[0] > 0, "no request was served");
    }

    /// <summary>Completion waits for a forward pass running on a caller's thread, and then completes, with spare slots too.</summary>
    [Fact]
    public async Task Completion_waits_for_a_callers_own_pass_and_then_completes()
    {
        using var gated = new Gated(Mlp);
        var pipeline = new InferencePipeline(gated, new InferenceOptions { Parallelism = 2 });
        var blocker = gated.Occupy(pipeline);
        pipeline.Complete();
        await Task.Delay(50);
        Assert.False(pipeline.Completion.IsCompleted, "the pipeline completed while a forward pass was still running");
        gated.Open();
        Assert.Same(pipeline.Completion, await Task.WhenAny(pipeline.Completion, Task.Delay(TimeSpan.FromSeconds(10))));
        // The caller's result is set before its slot is freed, but the caller still has to return through Task.Run's
        // wrapper, which may finish a moment after the pipeline has completed.
        Assert.Same(blocker, await Task.WhenAny(blocker, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.True(blocker.IsCompletedSuccessfully);
    }

    /// <summary>A request that finds the pipeline idle runs at once on its caller's thread: a lone caller waits for no batch and no other thread.</summary>
    [Fact]
    public async Task A_request_to_an_idle_pipeline_runs_at_once_on_the_callers_thread()
    {
        var threads = new List<int>();
        await using var pipeline = new InferencePipeline(new Watched(Mlp, threads), new InferenceOptions { MaxDelay = TimeSpan.FromSeconds(10) });
        var caller = Environment.CurrentManagedThreadId;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            var request = pipeline.InferAsync(Input(i));
            Assert.True(request.IsCompletedSuccessfully, $"request {i} did not complete within the call");
            Assert.True((await request).BitwiseEquals(Alone(Mlp, Input(i))));
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "a lone caller waited for the batch delay");
        lock (threads)
            Assert.All(threads, thread => Assert.Equal(caller, thread));
    }

    [Fact]
    public async Task A_wrong_shape_fails_that_request_at_entry_with_the_layers_message_and_others_are_served()
    {
        await using var pipeline = new InferencePipeline(Mlp);
        var good = pipeline.InferAsync(Input(0));
        var bad = pipeline.InferAsync(Tensor.Zeros(new Shape(7)));
        Assert.True(bad.IsFaulted);
        var message = (await Assert.ThrowsAsync<ArgumentException>(() => bad)).Message;
        Assert.StartsWith("The inference request's input [7] (float32) does not fit the model", message, StringComparison.Ordinal);
        Assert.Contains("Linear '0' expects input [..., 20] but got [1, 7]", message, StringComparison.Ordinal);
        Assert.True((await good).BitwiseEquals(Alone(Mlp, Input(0))));
    }

    [Fact]
    public async Task A_full_queue_rejects_with_a_clear_error_and_a_completed_pipeline_takes_nothing()
    {
        using var gated = new Gated(Mlp);
        var pipeline = new InferencePipeline(gated, new InferenceOptions { MaxBatchSize = 1, QueueCapacity = 2, MaxDelay = TimeSpan.Zero });
        var blocker = gated.Occupy(pipeline);
        var requests = Enumerable.Range(0, 8).Select(i => pipeline.InferAsync(Input(i))).ToList();
        var rejected = await Assert.ThrowsAsync<InferenceRejectedException>(() => requests[^1]);
        Assert.Contains("queue is full (2 requests)", rejected.Message, StringComparison.Ordinal);
        pipeline.Complete();
        var late = await Assert.ThrowsAsync<InferenceRejectedException>(() => pipeline.InferAsync(Input(9)));
        Assert.Contains("has completed", late.Message, StringComparison.Ordinal);
        Assert.False(pipeline.Completion.IsCompleted, "the pipeline completed while a forward pass was still running");
        gated.Open();
        await pipeline.Completion;
        Assert.True(blocker.IsCompleted, "the pipeline completed before the request running on its caller's thread");
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
        using var gated = new Gated(Mlp);
        await using var pipeline = new InferencePipeline(gated, new InferenceOptions { MaxBatchSize = 64, MaxDelay = TimeSpan.FromSeconds(20) });
        // A forward pass runs, so the next request starts a batch that grows until the pass ends or its delay is up.
        var blocker = gated.Occupy(pipeline);
        using var cancel = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var canceled = pipeline.InferAsync(Input(0), cancel.Token);
        // Long enough for the gatherer to take the request as the first of a forming batch, whose delay it would set.
        await Task.Delay(50);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canceled);
        Assert.True(clock.ElapsedMilliseconds < 10_000, "the canceled request waited for its batch");
        var others = Enumerable.Range(1, 64).Select(i => pipeline.InferAsync(Input(i))).ToList();
        gated.Open();
        await Task.WhenAll(others);
        await blocker;
        // The canceled request held no place and set no delay: 64 others filled the batch, which ran without waiting out the delay.
        Assert.True(clock.ElapsedMilliseconds < 10_000, $"the batch waited {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_request_past_its_deadline_times_out_and_the_rest_of_the_batch_is_served()
    {
        using var gated = new Gated(Mlp);
        await using var pipeline = new InferencePipeline(gated, new InferenceOptions { MaxBatchSize = 1, MaxDelay = TimeSpan.Zero });
        var first = gated.Occupy(pipeline);
        var hurried = pipeline.InferAsync(Input(1), TimeSpan.FromMilliseconds(30));
        var patient = pipeline.InferAsync(Input(2), TimeSpan.FromSeconds(30));
        Assert.Contains("passed its deadline", (await Assert.ThrowsAsync<TimeoutException>(() => hurried)).Message, StringComparison.Ordinal);
        gated.Open();
        await first;
        Assert.True((await patient).BitwiseEquals(Alone(Mlp, Input(2))));
    }

    /// <summary>
    /// .NET timers count due times on a coarse tick and can fire milliseconds early; a deadline is reported only once the
    /// stopwatch says it has passed. Short deadlines on a held pipeline, each timed from its own submission.
    /// </summary>
    [Fact]
    public async Task A_deadline_is_never_reported_before_it_has_passed()
    {
        using var gated = new Gated(Mlp);
        await using var pipeline = new InferencePipeline(gated, new InferenceOptions { MaxBatchSize = 1, MaxDelay = TimeSpan.Zero });
        var blocker = gated.Occupy(pipeline);
        var early = new List<string>();
        // One at a time, so each timing is the request's own and not a busy thread pool's.
        for (var i = 0; i < 150; i++)
        {
            var deadline = TimeSpan.FromMilliseconds(1 + (i % 5));
            var sent = Stopwatch.GetTimestamp();
            await Assert.ThrowsAsync<TimeoutException>(() => pipeline.InferAsync(Input(i), deadline));
            if (Stopwatch.GetElapsedTime(sent) is var waited && waited < deadline)
                early.Add($"{waited.TotalMilliseconds:F2} ms of {deadline.TotalMilliseconds} ms");
        }
        gated.Open();
        await blocker;
        Assert.Empty(early);
    }

    /// <summary>After a failed request the block faults on both sides: a producer's SendAsync is declined rather than left waiting.</summary>
    [Fact]
    public async Task A_faulted_block_declines_what_it_is_offered()
    {
        await using var pipeline = new InferencePipeline(Mlp);
        var block = pipeline.AsBlock();
        block.LinkTo(DataflowBlock.NullTarget<Tensor>());
        await block.SendAsync(Tensor.Zeros(new Shape(3)));
        await Assert.ThrowsAnyAsync<Exception>(() => block.Completion);
        var offered = block.SendAsync(Input(1));
        Assert.Same(offered, await Task.WhenAny(offered, Task.Delay(TimeSpan.FromSeconds(5))));
        Assert.False(await offered);
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
        // A faulted block drops what its target has not taken yet, as a TransformBlock does: let the first output arrive.
        SpinWait.SpinUntil(() => { lock (after) return after.Count == 1; }, TimeSpan.FromSeconds(10));
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

    /// <summary>
    /// A model that holds a forward pass of <see cref="Blocker"/> until <see cref="Open"/>: with it running on another
    /// thread, every forward slot of a one-slot pipeline is busy, so later requests queue and batch.
    /// </summary>
    private sealed record Gated(Layer Inner) : Layer, IDisposable
    {
        private readonly ManualResetEventSlim _entered = new(false);
        private readonly ManualResetEventSlim _open = new(false);

        public override LayerParts Parts => new() { Children = [("inner", Inner)] };

        /// <summary>Starts a request of <see cref="Blocker"/> on a thread-pool thread and waits until its forward pass is at the gate.</summary>
        public Task<Tensor> Occupy(InferencePipeline pipeline)
        {
            var request = Task.Run(() => pipeline.InferAsync(Blocker));
            Assert.True(_entered.Wait(TimeSpan.FromSeconds(10)), "the blocking request never started");
            return request;
        }

        public void Open() => _open.Set();

        public void Dispose()
        {
            _open.Set();
            _entered.Dispose();
            _open.Dispose();
        }

        protected override Layer Rebuild(LayerParts parts) => this with { Inner = parts.Child<Layer>("inner") };

        protected override Traced ForwardCore(Tensor x, ForwardContext context)
        {
            if (x.Shape[0] == 1 && double.IsNaN(x.ToFloat64Array()[0]))
            {
                _entered.Set();
                // Bounded: a test that fails before opening the gate disposes the pipeline first, which waits for this pass.
                _open.Wait(TimeSpan.FromSeconds(30));
            }
            var inner = Inner.Forward(x, context.Child("inner"));
            return new Traced(inner.Output, inner.Trace, WithChildren([inner.Next]));
        }

        protected override (Tensor? Dx, Layer Gradient) BackwardCore(Pipelines.Layers.Trace trace, Tensor dy, bool inputGradient) => throw new NotSupportedException("Inference only.");
    }

    /// <summary>A model that records the thread of each forward pass (the shape check's included).</summary>
    private sealed record Watched(Layer Inner, List<int> Threads) : Layer
    {
        public override LayerParts Parts => new() { Children = [("inner", Inner)] };

        protected override Layer Rebuild(LayerParts parts) => this with { Inner = parts.Child<Layer>("inner") };

        protected override Traced ForwardCore(Tensor x, ForwardContext context)
        {
            lock (Threads)
                Threads.Add(Environment.CurrentManagedThreadId);
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
