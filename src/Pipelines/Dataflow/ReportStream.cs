using System.Diagnostics;
using System.Threading.Tasks.Dataflow;

namespace Pipelines.Dataflow;

/// <summary>
/// A run's reports, in order, to a reader that may come late or never. Step reports go out in bursts at most
/// <see cref="Interval"/> apart (a progress display redraws about that often); any other report goes out at once with
/// those before it, so the order holds. A reader woken for every step took a thread from the kernels' fork and join each time.
/// </summary>
internal sealed class ReportStream
{
    /// <summary>The longest a step report waits to go out.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly BufferBlock<TrainingReport> _sent = new();
    private readonly List<TrainingReport> _unsent = [];
    private long _lastSent;

    /// <summary>The reports as they go out, ending with <see cref="End"/>.</summary>
    public IAsyncEnumerable<TrainingReport> Reports => _sent.ReceiveAllAsync();

    /// <summary>Queues <paramref name="report"/>, sending what is queued unless it is a step report inside the interval.</summary>
    public void Add(TrainingReport report)
    {
        _unsent.Add(report);
        if (report is not StepReport || Stopwatch.GetElapsedTime(_lastSent) >= Interval)
            Send();
    }

    /// <summary>Sends what is left and ends the stream: on every way out of a run.</summary>
    public void End()
    {
        Send();
        _sent.Complete();
    }

    private void Send()
    {
        foreach (var report in _unsent)
            _sent.Post(report);
        _unsent.Clear();
        _lastSent = Stopwatch.GetTimestamp();
    }
}
