using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// Serves a model to many callers: single requests wait in a bounded <see cref="BufferBlock{T}"/>, are gathered into
/// batches, and an <see cref="ActionBlock{TInput}"/> runs one forward pass per batch. Batching adapts to the load, so it
/// is never slower than calling the model one request at a time: a request that finds the pipeline idle runs at once on
/// its caller's thread; a batch goes as soon as a forward slot is free, and grows (up to
/// <see cref="InferenceOptions.MaxBatchSize"/>, for at most <see cref="InferenceOptions.MaxDelay"/>) while every slot
/// is busy, or, after a pass of several requests, for up to one pass while their callers come back. A request is one
/// model input without its batch axis; the pipeline stacks same-shaped requests along a new first axis, so each result
/// is bitwise what the model gives that request alone as a batch of one (every layer treats the rows of a batch
/// independently, and the GEMM computes each row by the same chain of operations whatever the batch).
/// </summary>
/// <remarks>
/// Every request ends in exactly one outcome: its result; canceled (its token); <see cref="TimeoutException"/> (its
/// deadline); <see cref="InferenceRejectedException"/> (queue full, or the pipeline completed); or the model's own
/// exception, for the requests of the batch it failed (later batches are served as usual). A request canceled while
/// its batch forms leaves the batch at once and never holds a place in it. While the pipeline keeps up, a request waits
/// at most for the batches running when it arrived (at once when none is), and never longer than
/// <see cref="InferenceOptions.MaxDelay"/> (to within half a millisecond: .NET's timed waits count whole milliseconds)
/// plus one batch's execution, apart from pauses of the process (garbage collections, the scheduler). A deadline is
/// reported only once it has passed by the clock the request was given.
/// </remarks>
public sealed class InferencePipeline : IAsyncDisposable
{
    private readonly Layer _model;
    private readonly InferenceOptions _options;
    private readonly BufferBlock<Request> _queue;
    private readonly ActionBlock<Request[]> _executor;
    private readonly ConcurrentDictionary<(Shape, DType), Exception?> _shapes = new();
    private readonly BatchGatherer _gatherer;

    /// <summary>The most input layouts whose check is remembered: a client sending ever new shapes must not grow the pipeline without bound.</summary>
    internal const int MaxCheckedShapes = 64;

    // Set when the queue holds as many requests as the gatherer waits for (_wanted: one when idle or in a batch's last
    // millisecond, the room left in the batch before that) and when the queue completes. The gatherer waits on it
    // directly: waiting on the queue's OutputAvailableAsync woke it through a thread-pool task, which a busy pool runs
    // late, and the slowest requests then waited several times the delay (docs/performance.md). Never disposed: a slim
    // event holds no OS handle unless asked for one, and a submitter that lost a race with Complete may still set it.
    private readonly ManualResetEventSlim _arrival = new(false);
    private int _wanted = 1;

    // Forward passes running (the executor's batches and requests run on their caller's thread), at most
    // Parallelism, plus one batch that stopped growing and waits in the executor; a pass claims its slot before it
    // starts (TryClaimSlot, or the gatherer for the waiting batch) and frees it when it ends (FreeSlot).
    private int _running;

    // Batches sent to the executor and not yet finished.
    private int _executing;

    // Whether the gatherer holds a forming batch: a new request then joins the queue rather than jumping ahead of it.
    private volatile bool _forming;

    // The live requests and the stopwatch ticks of the last forward pass: the load the next batch can expect.
    private int _lastBatch = 1;
    private long _lastExecution;

    // The input layout that last passed the shape check, so a steady stream of one shape skips the dictionary.
    private volatile ShapeKey? _accepted;
    private volatile bool _completed;

    /// <summary>A pipeline serving <paramref name="model"/> (in evaluation mode).</summary>
    /// <param name="model">The model; one forward pass per batch of requests.</param>
    /// <param name="options">Batch limits, queue bound and parallelism; null for the defaults.</param>
    public InferencePipeline(Layer model, InferenceOptions? options = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _options = options ?? new InferenceOptions();
        _options.Validate();
        _gatherer = new BatchGatherer(_options.MaxBatchSize, _options.MaxDelay, TimeProvider.System);
        _queue = new BufferBlock<Request>(new DataflowBlockOptions { BoundedCapacity = _options.QueueCapacity });
        _executor = new ActionBlock<Request[]>(Execute, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = _options.Parallelism, BoundedCapacity = _options.Parallelism });
        _queue.Completion.ContinueWith(_ => _arrival.Set(), TaskScheduler.Default);
        // The gatherer is one dedicated thread blocking in an OS timed wait, which wakes when a request arrives or the
        // delay ends (a timer-queue delay can run late on a busy thread pool).
        _ = Task.Factory.StartNew(Gather, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Completes once every request taken before <see cref="Complete"/> has its outcome.</summary>
    public Task Completion => _executor.Completion;

    /// <summary>
    /// The model's output for <paramref name="input"/> (one input without its batch axis), computed in a batch with
    /// other requests and bitwise equal to computing it alone. A wrong shape fails here, with the layer's message.
    /// </summary>
    /// <param name="input">The input, e.g. [784] for one image of an MLP.</param>
    /// <param name="cancellation">Cancels the request; it leaves its forming batch at once.</param>
    public Task<Tensor> InferAsync(Tensor input, CancellationToken cancellation = default) => Submit(input, null, cancellation);

    /// <summary>As <see cref="InferAsync(Tensor, CancellationToken)"/>, failing with <see cref="TimeoutException"/> if the result is not ready within <paramref name="deadline"/>.</summary>
    /// <param name="input">The input, e.g. [784] for one image of an MLP.</param>
    /// <param name="deadline">How long the caller will wait for the result.</param>
    /// <param name="cancellation">Cancels the request; it leaves its forming batch at once.</param>
    public Task<Tensor> InferAsync(Tensor input, TimeSpan deadline, CancellationToken cancellation = default) => Submit(input, deadline, cancellation);

    private Task<Tensor> Submit(Tensor input, TimeSpan? deadline, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (cancellation.IsCancellationRequested)
            return Task.FromCanceled<Tensor>(cancellation);
        if (CheckShape(input) is { } invalid)
            return Task.FromException<Tensor>(invalid);
        // Idle and lightly loaded (nothing queued or forming, a slot free, the last pass a single request): the request
        // runs at once on this thread, as a plain forward call would, and pays for no hand-over between threads.
        if (!_completed && !_forming && _queue.Count == 0 && Volatile.Read(ref _lastBatch) <= 1 && TryClaimSlot())
            return RunAlone(input, deadline);
        var request = new Request(input, deadline, cancellation);
        if (_queue.Post(request))
        {
            if (_queue.Count >= Volatile.Read(ref _wanted))
                _arrival.Set();
        }
        else
        {
            InferenceMeters.Rejections.Add(1);
            request.Fail(new InferenceRejectedException(_completed
                ? "The inference pipeline has completed and takes no more requests."
                : $"The inference pipeline's queue is full ({_options.QueueCapacity} requests); retry later or raise InferenceOptions.QueueCapacity."));
        }
        return request.Result;
    }

    /// <summary>
    /// A block that takes inputs and gives their outputs in the same order, through this pipeline: link sources to it
    /// and it to targets. Like a <see cref="TransformBlock{TInput, TOutput}"/>, it faults with the first request's
    /// exception, and gives no output after the failed one. It waits (rather than rejecting) when its own buffer is full.
    /// </summary>
    public IPropagatorBlock<Tensor, Tensor> AsBlock()
    {
        var bound = Math.Max(1, _options.QueueCapacity / 2);
        var submit = new TransformBlock<Tensor, Task<Tensor>>(x => InferAsync(x), new ExecutionDataflowBlockOptions { BoundedCapacity = bound });
        // One at a time and in order: a failed request faults the block before any later result is offered.
        var results = new TransformBlock<Task<Tensor>, Tensor>(request => request, new ExecutionDataflowBlockOptions { BoundedCapacity = bound, EnsureOrdered = true });
        submit.LinkTo(results, new DataflowLinkOptions { PropagateCompletion = true });
        // A fault travels back to the input side too, so the block declines offers (and releases postponed ones) as a
        // faulted TransformBlock does; otherwise a producer's SendAsync would wait forever.
        results.Completion.ContinueWith(done => ((IDataflowBlock)submit).Fault(done.Exception!.GetBaseException()), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return DataflowBlock.Encapsulate(submit, results);
    }

    /// <summary>Takes no more requests; those already queued are still served.</summary>
    public void Complete()
    {
        _completed = true;
        _queue.Complete();
        _arrival.Set();
    }

    /// <summary>Completes the pipeline and waits for the queued requests' outcomes.</summary>
    public async ValueTask DisposeAsync()
    {
        Complete();
        await Completion.ConfigureAwait(false);
    }

    /// <summary>One request as a batch of one on the caller's thread, in a slot already claimed.</summary>
    private Task<Tensor> RunAlone(Tensor input, TimeSpan? deadline)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            InferenceMeters.QueueWait.Record(0);
            InferenceMeters.BatchSize.Record(1);
            var output = _model.Forward(input.Reshape(new Shape([1, .. input.Shape.Dims])))[0];
            var ticks = Stopwatch.GetTimestamp() - started;
            Volatile.Write(ref _lastExecution, ticks);
            var elapsed = Stopwatch.GetElapsedTime(started, started + ticks);
            InferenceMeters.Execution.Record(elapsed.TotalMilliseconds);
            if (elapsed >= deadline)
            {
                InferenceMeters.Cancellations.Add(1);
                return Task.FromException<Tensor>(new TimeoutException($"The inference request passed its deadline before its result was ready (it waited {elapsed.TotalMilliseconds:F1} ms)."));
            }
            return Task.FromResult(output);
        }
        catch (Exception e)
        {
            return Task.FromException<Tensor>(e);
        }
        finally
        {
            FreeSlot();
        }
    }

    /// <summary>Claims a forward slot if one is free.</summary>
    private bool TryClaimSlot()
    {
        var running = Volatile.Read(ref _running);
        while (running < _options.Parallelism)
        {
            var seen = Interlocked.CompareExchange(ref _running, running + 1, running);
            if (seen == running)
                return true;
            running = seen;
        }
        return false;
    }

    /// <summary>
    /// Frees a forward slot and wakes the gatherer if it holds a batch, which then goes instead of waiting for more. An
    /// idle gatherer is left asleep: waking it after every request run on its caller's thread cost that caller's
    /// second kernel thread its core.
    /// </summary>
    private void FreeSlot()
    {
        Interlocked.Decrement(ref _running);
        if (_forming)
            _arrival.Set();
    }

    /// <summary>How many input layouts the shape check remembers now (at most <see cref="MaxCheckedShapes"/>).</summary>
    internal int CheckedShapes => _shapes.Count;

    /// <summary>Null when the model takes a batch of this shape, else the exception it throws (checked once per shape, a batch of one on zeros).</summary>
    private Exception? CheckShape(Tensor input)
    {
        if (_accepted is { } accepted && accepted.DType == input.DType && accepted.Shape == input.Shape)
            return null;
        // Forgetting every layout at once keeps the bound without bookkeeping; a forgotten one is checked again on its next use.
        if (_shapes.Count >= MaxCheckedShapes && !_shapes.ContainsKey((input.Shape, input.DType)))
            _shapes.Clear();
        var error = _shapes.GetOrAdd((input.Shape, input.DType), CheckNewShape);
        if (error is null)
            _accepted = new ShapeKey(input.Shape, input.DType);
        return error;
    }

    private Exception? CheckNewShape((Shape, DType) key)
    {
        var batched = new Shape([1, .. key.Item1.Dims]);
        try
        {
            _model.Forward(Tensor.Zeros(batched, key.Item2));
            return null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // The layer saw the batch of one the pipeline makes; the caller gave one example without the batch axis.
            return new ArgumentException($"The inference request's input {key.Item1} ({key.Item2.Name()}) does not fit the model (a request is one example without its batch axis; the model saw it as the batch {batched}): {e.Message}", e);
        }
    }

    /// <summary>
    /// Gathers batches: the first live request, then whatever arrives, for as long as <see cref="BatchGatherer"/>'s rule
    /// says. A request of another shape starts the next batch. Requests canceled or past their deadline, whether still
    /// queued or already gathered, are passed over: they hold no place and set no delay.
    /// </summary>
    private void Gather()
    {
        Request? carried = null;
        while ((carried ?? NextLive()) is { } first)
        {
            carried = null;
            var batch = new List<Request> { first };
            _forming = true;
            // Published before the gatherer looks at the slots, so a slot freed after the look sees it and wakes it.
            Interlocked.MemoryBarrier();
            var claimed = false;
            while (true)
            {
                batch.RemoveAll(r => r.Result.IsCompleted);
                if (batch.Count == 0)
                    break;
                if (batch.Count < _options.MaxBatchSize && _queue.TryReceive(out var next))
                {
                    if (!next.TryTake())
                        continue;
                    if (next.Input.Shape != first.Input.Shape || next.Input.DType != first.Input.DType)
                    {
                        carried = next;
                        break;
                    }
                    batch.Add(next);
                    continue;
                }
                var step = _gatherer.Next(batch.Count, batch[0].Arrived, Volatile.Read(ref _running) < _options.Parallelism, _queue.Completion.IsCompleted, Volatile.Read(ref _lastBatch), Volatile.Read(ref _lastExecution));
                if (step.Kind == GatherKind.Dispatch && (claimed = TryClaimSlot()))
                    break;
                if (step.Kind == GatherKind.Dispatch)
                    step = _gatherer.Next(batch.Count, batch[0].Arrived, slotFree: false, _queue.Completion.IsCompleted, Volatile.Read(ref _lastBatch), Volatile.Read(ref _lastExecution));
                if (step.Kind == GatherKind.Close)
                    break;
                // Woken as soon as the awaited requests are all queued; the timed wait is only the fallback.
                AwaitArrivals(step.Awaited, step.Wait, whileIdle: step.Kind == GatherKind.AwaitCallers);
            }
            if (batch.Count > 0)
            {
                // Full or past its delay while every slot is busy: the batch stops growing. When the executor's own
                // batches hold every slot it waits in the executor, which starts it the moment one ends (one batch beyond
                // the slots; the send returns once it is taken); a slot held by a caller's own pass is waited for.
                if (!claimed && Volatile.Read(ref _executing) >= _options.Parallelism)
                {
                    Interlocked.Increment(ref _running);
                    claimed = true;
                }
                while (!claimed)
                    claimed = AwaitSlot();
                Interlocked.Increment(ref _executing);
                _executor.SendAsync([.. batch]).GetAwaiter().GetResult();
            }
            else if (claimed)
            {
                FreeSlot();
            }
            _forming = false;
        }
        // Requests run on their callers' threads hold slots too: the pipeline completes after the last of them.
        while (Volatile.Read(ref _running) > 0)
            Thread.Sleep(1);
        _executor.Complete();
    }

    /// <summary>Waits for a forward pass to end, then claims a slot if one is free.</summary>
    private bool AwaitSlot()
    {
        _arrival.Reset();
        if (TryClaimSlot())
            return true;
        _arrival.Wait(1);
        return false;
    }

    /// <summary>The next request still waiting for a batch, or null once the queue is completed and empty.</summary>
    private Request? NextLive()
    {
        Volatile.Write(ref _wanted, 1);
        while (true)
        {
            // Reset before looking, so a request posted after the look sets the event again and ends the wait.
            _arrival.Reset();
            if (_queue.TryReceive(out var request))
            {
                if (request.TryTake())
                    return request;
                continue;
            }
            if (_queue.Completion.IsCompleted)
                return null;
            _arrival.Wait();
        }
    }

    /// <summary>
    /// Waits until <paramref name="count"/> requests are queued, a forward pass ends, the queue completes, or about
    /// <paramref name="time"/> has passed; unless <paramref name="whileIdle"/>, only while every slot is busy. .NET's timed waits count whole milliseconds, so the time is rounded to the nearest one: the batch runs
    /// within half a millisecond of its delay, and the gatherer never spins.
    /// </summary>
    private void AwaitArrivals(int count, TimeSpan time, bool whileIdle = false)
    {
        Volatile.Write(ref _wanted, count);
        _arrival.Reset();
        // Looked at after the reset, so a forward that ended since the gatherer last looked is not missed.
        if (_queue.Count < count && !_queue.Completion.IsCompleted && (whileIdle || Volatile.Read(ref _running) >= _options.Parallelism))
            _arrival.Wait((int)Math.Round(time.TotalMilliseconds, MidpointRounding.AwayFromZero));
    }

    /// <summary>One forward pass for a batch's live requests; the model's failure is each of their outcomes.</summary>
    private void Execute(Request[] batch)
    {
        try
        {
            Run(batch);
        }
        finally
        {
            Interlocked.Decrement(ref _executing);
            FreeSlot();
        }
    }

    private void Run(Request[] batch)
    {
        // Deadlines are also checked here, not only by their timers: a busy thread pool can run a timer late.
        var live = batch.Where(r => !r.Result.IsCompleted && !r.ExpireIfLate()).ToArray();
        if (live.Length == 0)
            return;
        var started = Stopwatch.GetTimestamp();
        Volatile.Write(ref _lastBatch, live.Length);
        foreach (var request in live)
            InferenceMeters.QueueWait.Record(Stopwatch.GetElapsedTime(request.Arrived, started).TotalMilliseconds);
        InferenceMeters.BatchSize.Record(live.Length);
        try
        {
            var input = live.Length == 1 ? live[0].Input.Reshape(new Shape([1, .. live[0].Input.Shape.Dims])) : Tensor.Stack([.. live.Select(r => r.Input)]);
            var output = _model.Forward(input);
            for (var i = 0; i < live.Length; i++)
                live[i].Succeed(output[i]);
        }
        catch (Exception e)
        {
            foreach (var request in live)
                request.Fail(e);
        }
        var ticks = Stopwatch.GetTimestamp() - started;
        Volatile.Write(ref _lastExecution, ticks);
        InferenceMeters.Execution.Record(Stopwatch.GetElapsedTime(started, started + ticks).TotalMilliseconds);
    }

    private sealed record ShapeKey(Shape Shape, DType DType);

    /// <summary>One request: its input, its one outcome, and whether a batch has taken it (then cancellation only ends the caller's wait).</summary>
    private sealed class Request : IDisposable
    {
        private const int Waiting = 0;
        private const int Taken = 1;
        private const int Dead = 2;

        private readonly TaskCompletionSource<Tensor> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _cancellation;
        private readonly Timer? _deadline;
        private int _state;

        private readonly long _due;

        public Request(Tensor input, TimeSpan? deadline, CancellationToken cancellation)
        {
            Input = input;
            Arrived = Stopwatch.GetTimestamp();
            _due = deadline is { } due ? Arrived + (long)(due.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
            if (cancellation.CanBeCanceled)
                _cancellation = cancellation.UnsafeRegister(static (state, token) => ((Request)state!).Cancel(token), this);
            if (deadline is { } limit)
                _deadline = new Timer(static state => ((Request)state!).OnDeadline(), this, limit, Timeout.InfiniteTimeSpan);
        }

        public Tensor Input { get; }

        public long Arrived { get; }

        public Task<Tensor> Result => _outcome.Task;

        /// <summary>Claims the request for a batch; false when it was canceled or timed out while queued.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Waiting) == Waiting;

        public void Succeed(Tensor output)
        {
            if (ExpireIfLate())
                return;
            _outcome.TrySetResult(output);
            Dispose();
        }

        /// <summary>Fails the request with its timeout if its deadline has passed; true if it has.</summary>
        public bool ExpireIfLate()
        {
            if (Stopwatch.GetTimestamp() < _due)
                return false;
            Expire();
            return true;
        }

        public void Fail(Exception error)
        {
            _outcome.TrySetException(error);
            Dispose();
        }

        /// <summary>Drops the cancellation registration and the deadline's timer once the outcome is set.</summary>
        public void Dispose()
        {
            _cancellation.Unregister();
            _deadline?.Dispose();
        }

        /// <summary>
        /// The deadline's timer fired. Timers count due times on a coarse tick and may fire a few milliseconds early, so
        /// the request expires only once the stopwatch says the deadline has passed; until then the timer waits again.
        /// </summary>
        private void OnDeadline()
        {
            if (ExpireIfLate())
                return;
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _due);
            try
            {
                _deadline!.Change(left + TimeSpan.FromMilliseconds(0.5), Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The outcome was set meanwhile; nothing is left to time.
            }
        }

        private void Cancel(CancellationToken token)
        {
            Interlocked.CompareExchange(ref _state, Dead, Waiting);
            if (_outcome.TrySetCanceled(token))
                InferenceMeters.Cancellations.Add(1);
            Dispose();
        }

        private void Expire()
        {
            Interlocked.CompareExchange(ref _state, Dead, Waiting);
            if (_outcome.TrySetException(new TimeoutException($"The inference request passed its deadline before its result was ready (it waited {Stopwatch.GetElapsedTime(Arrived).TotalMilliseconds:F1} ms).")))
                InferenceMeters.Cancellations.Add(1);
            Dispose();
        }
    }
}
