using Pipelines.Tensors;

namespace Pipelines.Kernels;

/// <summary>
/// Tensors a caller gives up so that a pass may write its weight gradients into their arrays, handed to the pass as a
/// value (the forward context's donation), as JAX's <c>donate_argnums</c> names the inputs a call may
/// reuse. The trainer donates a micro-batch's spent gradients of one step to the same micro-batch's pass in the next:
/// a fresh gradient of a megabyte or more is written into pages the process has never touched, paying a page fault per
/// page, where last step's is warm. A pass without a donation allocates, so no public method's result depends on
/// anything but its arguments.
/// </summary>
/// <remarks>
/// Giving a tensor up marks it (<see cref="Tensor.Donate"/>): reading it afterwards throws, so a layer that keeps a
/// gradient it returned, or a step that hands back a tensor it was given to write over, fails at once instead of
/// reading elements a later step wrote. With <c>poison</c> (debug builds, and tests) the arrays are also filled with
/// NaN when given, so that a view the mark cannot reach reads NaN instead of plausible numbers.
/// </remarks>
internal sealed class DonatedArrays
{
    /// <summary>Whether donations are poisoned unless a caller says otherwise: in debug builds only, as it costs a pass over the arrays.</summary>
#if DEBUG
    public const bool PoisonByDefault = true;
#else
    public const bool PoisonByDefault = false;
#endif

    /// <summary>Arrays below this many elements are left to the allocator, whose small objects are cheap and warm.</summary>
    private const int MinLength = 1 << 14;

    private readonly Dictionary<(Type, int), Stack<Array>> _waiting = [];

    /// <summary>Takes <paramref name="tensors"/>, which nothing will read again, marking each; each distinct whole array of a useful size once.</summary>
    /// <param name="tensors">The tensors given up.</param>
    /// <param name="poison">Fill the arrays with NaN as they are given.</param>
    public DonatedArrays(IEnumerable<Tensor> tensors, bool poison = PoisonByDefault)
    {
        var seen = new HashSet<Array>(ReferenceEqualityComparer.Instance);
        foreach (var tensor in tensors)
        {
            tensor.Donate();
            if (!tensor.IsWholeStorage || !seen.Add(tensor.Storage))
                continue;
            var array = tensor.Storage;
            if (poison)
                Poison(array);
            if (array.Length < MinLength)
                continue;
            var key = (array.GetType(), array.Length);
            if (!_waiting.TryGetValue(key, out var stack))
                _waiting[key] = stack = new Stack<Array>();
            stack.Push(array);
        }
    }

    /// <summary>An array of <paramref name="length"/> to be overwritten whole: a donated one when one of the type and length waits, else a new uninitialised one.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="length">The elements wanted.</param>
    public T[] Uninitialized<T>(int length)
        where T : unmanaged
    {
        // Branches of one pass may run side by side (a user's composite), so taking is serialised.
        lock (_waiting)
        {
            if (_waiting.TryGetValue((typeof(T[]), length), out var stack) && stack.TryPop(out var array))
                return (T[])array;
        }
        return GC.AllocateUninitializedArray<T>(length);
    }

    private static void Poison(Array array)
    {
        switch (array)
        {
            case float[] floats:
                floats.AsSpan().Fill(float.NaN);
                break;
            case double[] doubles:
                doubles.AsSpan().Fill(double.NaN);
                break;
            case long[] longs:
                longs.AsSpan().Fill(long.MinValue);
                break;
        }
    }
}
