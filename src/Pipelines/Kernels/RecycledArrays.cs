namespace Pipelines.Kernels;

/// <summary>
/// Arrays a training loop gives back after its step, for the next step's weight gradients: a fresh 1.6 MB gradient is
/// written into pages the process has never touched (or the GC has handed back), so the product that fills it pays a
/// page fault per page; last step's gradient, dead once the optimizer has read it, is warm. A scope installs a pool for
/// the code it flows to; outside one, every product allocates as usual. Only the trainer, which alone holds its
/// gradients, gives arrays; an array is handed out once per giving.
/// </summary>
internal sealed class RecycledArrays
{
    private static readonly AsyncLocal<RecycledArrays?> s_current = new();

    /// <summary>At most this many arrays of one type and length wait (a step gives one per weight).</summary>
    private const int MaxWaitingPerSize = 4;

    /// <summary>Arrays below this many elements are left to the allocator, whose small objects are cheap and warm.</summary>
    private const int MinLength = 1 << 14;

    private readonly Dictionary<(Type, int), Stack<Array>> _waiting = [];

    /// <summary>Installs <paramref name="pool"/> for the code this async flow runs until the scope is disposed.</summary>
    public static IDisposable Use(RecycledArrays pool)
    {
        var previous = s_current.Value;
        s_current.Value = pool;
        return new Scope(previous);
    }

    /// <summary>An array of <paramref name="length"/> to be overwritten whole: a given one when the scope's pool has one, else a new uninitialised one.</summary>
    public static T[] Uninitialized<T>(int length)
        where T : unmanaged => s_current.Value?.Take<T>(length) ?? GC.AllocateUninitializedArray<T>(length);

    /// <summary>Takes arrays nothing will read again; each distinct array once, however often it is listed.</summary>
    public void Give(IEnumerable<Array> arrays)
    {
        lock (_waiting)
        {
            GiveLocked(arrays);
        }
    }

    private void GiveLocked(IEnumerable<Array> arrays)
    {
        foreach (var array in arrays.Distinct(ReferenceEqualityComparer.Instance).Cast<Array>())
        {
            if (array.Length < MinLength)
                continue;
            var key = (array.GetType(), array.Length);
            if (!_waiting.TryGetValue(key, out var stack))
                _waiting[key] = stack = new Stack<Array>();
            if (stack.Count < MaxWaitingPerSize && !stack.Contains(array))
                stack.Push(array);
        }
    }

    private T[]? Take<T>(int length)
        where T : unmanaged
    {
        lock (_waiting)
            return _waiting.TryGetValue((typeof(T[]), length), out var stack) && stack.TryPop(out var array) ? (T[])array : null;
    }

    private sealed class Scope(RecycledArrays? previous) : IDisposable
    {
        public void Dispose() => s_current.Value = previous;
    }
}
