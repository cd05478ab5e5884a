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
/// <item>A helper works for one job at a time: a job claims the helpers it posts to, each by its own flag, and a helper
/// frees itself once no part of its job is left to take. A kernel started inside a part, or by another thread while a
/// kernel runs, claims only the helpers nobody holds, and runs its other parts itself when it finds none. So kernels
/// side by side share the cores without a budget handed to each, never start more threads than the team has, and no
/// job ever waits for a helper that works for a job waiting for it.</item>
/// <item>Every part in [0, parts) runs exactly once: part 0 on the caller, each other part by whichever thread
/// increments the job's next-part counter to it, a claimed helper or the caller. Done with a part, each takes the next
/// until none is left, so parts spread over however many threads the job got.</item>
/// <item><c>Run</c> returns only after every taken part has finished, so nothing a part captured is used after it.</item>
/// <item>A helper answers each post once; a post whose parts were all taken before the helper woke leaves it nothing to
/// take, which is what makes a late wake-up harmless.</item>
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
        var job = new Job(body, parts);
        var wanted = parts - 1;
        foreach (var helper in Helpers(wanted))
        {
            if (wanted == 0)
                break;
            if (helper.TryClaim())
            {
                helper.Post(job);
                wanted--;
            }
        }
        job.Run(0);
        job.RunUntaken();
        job.AwaitHelpers();
        job.ThrowIfFailed();
    }

    /// <summary>The team, grown to at least <paramref name="count"/> helpers: the most parts any job has asked for, less one.</summary>
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
        /// Runs parts until none is left: the caller after its own part (a helper that has not begun one by then would
        /// finish it later than the caller can), a helper after each of its own.
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

    /// <summary>A background thread that runs parts of the job that claimed it.</summary>
    private sealed class Helper
    {
        private readonly object _gate = new();
        private int _claimed;
        private Job? _job;

        public Helper(int index) =>
            new Thread(Loop) { IsBackground = true, Name = $"Pipelines kernels {index}" }.UnsafeStart();

        /// <summary>Takes the helper for one job if no job holds it.</summary>
        public bool TryClaim() => Volatile.Read(ref _claimed) == 0 && Interlocked.CompareExchange(ref _claimed, 1, 0) == 0;

        /// <summary>Hands the claimed helper its job; taking the gate publishes it to the helper, which takes the gate too.</summary>
        public void Post(Job job)
        {
            lock (_gate)
            {
                _job = job;
                Monitor.Pulse(_gate);
            }
        }

        /// <summary>Runs parts of each job posted until none is left to take, then frees itself for the next claim.</summary>
        private void Loop()
        {
            while (true)
            {
                var job = AwaitPost();
                job.RunUntaken();
                Volatile.Write(ref _claimed, 0);
            }
        }

        private Job AwaitPost()
        {
            var start = Stopwatch.GetTimestamp();
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _job) is null && Stopwatch.GetTimestamp() - start < SpinTicks)
                spinner.SpinOnce(sleep1Threshold: -1);
            lock (_gate)
            {
                while (_job is null)
                    Monitor.Wait(_gate);
                var job = _job;
                _job = null;
                return job;
            }
        }
    }
}
