using System.Diagnostics;

namespace Pipelines.Kernels.Threading;

/// <summary>
/// Runs the parts of one parallel kernel: part 0 on the calling thread, the others on helper threads kept for the
/// kernels, as OpenMP's team does. A training step runs a dozen parallel kernels with serial work between them; through
/// the thread pool the second part of a product often started tens of microseconds after the first (the pool's workers
/// had gone to sleep, or its queue held the dataflow blocks' tasks), and sometimes the caller ran every part itself. A
/// helper here waits for its next part spinning for a millisecond, yielding its core to any thread that is ready to
/// run, and only then sleeps. Which thread runs a part never changes a bit: kernels split rows, columns and chunks,
/// never a reduction.
/// </summary>
/// <remarks>
/// The protocol's invariants, which the code below keeps and the stress test checks:
/// <list type="number">
/// <item>One job at a time has the helpers (<c>s_busy</c>). A caller that finds them taken, another thread's kernel or
/// one nested inside a part, runs its parts through the thread pool, so no job ever waits for a helper that is busy
/// with a job waiting for it.</item>
/// <item>Every part in [0, parts) runs exactly once: part 0 on the caller, each other part by whichever thread
/// increments the job's next-part counter to it, helper or caller. The caller, done with its own part, takes the parts
/// no helper has begun, since a helper that has not started by then would finish later than the caller can.</item>
/// <item><c>Run</c> returns only after every taken part has finished, so nothing a part captured is used after it.</item>
/// <item>A helper counts the posts it has not answered and always answers with the latest job. A post whose parts were
/// all taken before the helper woke leaves a count behind; the extra turn finds nothing left to take and does
/// nothing, which is what makes a late wake-up harmless.</item>
/// <item>A failing part does not stop the others; the caller throws every part's exception, together in an
/// <see cref="AggregateException"/>, once all have finished. A kernel of one part is a plain call: its exception
/// propagates as it is.</item>
/// </list>
/// On a single core there is nothing to gain by spinning, so helpers go straight to sleep between jobs.
/// </remarks>
internal static class KernelThreads
{
    /// <summary>How long an idle helper spins before it sleeps: longer than the serial stretches between one step's products; none on one core.</summary>
    private static readonly long SpinTicks = Environment.ProcessorCount > 1 ? Stopwatch.Frequency / 1000 : 0;

    private static readonly Lock Growing = new();
    private static Helper[] s_helpers = [];
    private static int s_busy;

    /// <summary>Runs <paramref name="body"/> once for each part in [0, <paramref name="parts"/>) and returns when all have finished.</summary>
    /// <exception cref="AggregateException">A part threw; it holds every part's exception.</exception>
    public static void Run(int parts, Action<int> body)
    {
        if (parts <= 1)
        {
            if (parts == 1)
                body(0);
            return;
        }
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            // The same job, so a failing part stops no other here either (Parallel.For alone would skip the rest).
            var pooled = new Job(body, parts);
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, pooled.Run);
            pooled.ThrowIfFailed();
            return;
        }
        try
        {
            var helpers = Helpers(parts - 1);
            var job = new Job(body, parts);
            for (var helper = 0; helper < parts - 1; helper++)
                helpers[helper].Post(job);
            job.Run(0);
            job.RunUntaken();
            job.AwaitHelpers();
            job.ThrowIfFailed();
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static Helper[] Helpers(int count)
    {
        var helpers = Volatile.Read(ref s_helpers);
        if (helpers.Length >= count)
            return helpers;
        lock (Growing)
        {
            helpers = s_helpers;
            if (helpers.Length < count)
            {
                helpers = [.. helpers, .. Enumerable.Range(helpers.Length, count - helpers.Length).Select(index => new Helper(index + 1))];
                Volatile.Write(ref s_helpers, helpers);
            }
            return helpers;
        }
    }

    /// <summary>One parallel kernel: its body, the next part nobody has taken, the taken parts still running, and what any part threw.</summary>
    private sealed class Job(Action<int> body, int parts)
    {
        private readonly Action<int> _body = body;
        private readonly int _parts = parts;
        private List<Exception>? _failures;
        private int _next = 1;
        private int _running = parts - 1;

        public void Run(int part)
        {
            try
            {
                _body(part);
            }
            catch (Exception failure)
            {
                lock (this)
                    (_failures ??= []).Add(failure);
            }
        }

        /// <summary>Takes the next part after the caller's and runs it; returns false when every part is taken.</summary>
        public bool RunNext()
        {
            var part = Interlocked.Increment(ref _next) - 1;
            if (part >= _parts)
                return false;
            Run(part);
            Interlocked.Decrement(ref _running);
            return true;
        }

        /// <summary>
        /// The caller, done with its own part, runs the parts no helper has taken: the parts are about as long as the
        /// caller's, so a helper that has not begun one by now would finish it later than the caller can.
        /// </summary>
        public void RunUntaken()
        {
            while (RunNext())
            {
            }
        }

        /// <summary>Spins until the parts the helpers took are done.</summary>
        public void AwaitHelpers()
        {
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _running) > 0)
                spinner.SpinOnce(sleep1Threshold: -1);
        }

        public void ThrowIfFailed()
        {
            if (_failures is { } failures)
                throw new AggregateException(failures);
        }
    }

    /// <summary>A background thread that runs a part of each job posted to it.</summary>
    private sealed class Helper
    {
        private readonly object _gate = new();
        private int _posted;
        private Job? _job;

        public Helper(int index) =>
            new Thread(Loop) { IsBackground = true, Name = $"Pipelines kernels {index}" }.UnsafeStart();

        /// <summary>Hands the helper a job; taking the gate publishes it to the helper, which takes the gate too.</summary>
        public void Post(Job job)
        {
            lock (_gate)
            {
                _job = job;
                _posted++;
                Monitor.Pulse(_gate);
            }
        }

        /// <summary>
        /// Takes a part of each job posted. A post whose parts the caller took before the helper woke leaves a count
        /// behind; the helper then finds every part of the latest job taken, and the extra turn does nothing.
        /// </summary>
        private void Loop()
        {
            while (true)
                AwaitPost().RunNext();
        }

        private Job AwaitPost()
        {
            var start = Stopwatch.GetTimestamp();
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _posted) == 0 && Stopwatch.GetTimestamp() - start < SpinTicks)
                spinner.SpinOnce(sleep1Threshold: -1);
            lock (_gate)
            {
                while (_posted == 0)
                    Monitor.Wait(_gate);
                _posted--;
                return _job!;
            }
        }
    }
}
