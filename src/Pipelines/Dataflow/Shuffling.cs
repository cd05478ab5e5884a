using Pipelines.Tensors;

namespace Pipelines.Dataflow;

/// <summary>
/// The order examples are visited in, as a pure function of the run's key and the epoch: the same on every machine,
/// for any number of workers, and recomputable on resume, so a checkpoint never stores it.
/// </summary>
public static class Shuffling
{
    /// <summary>A permutation of [0, count) for the epoch (Fisher–Yates with Philox draws of the epoch's key).</summary>
    /// <param name="key">The shuffle key (the trainer derives it from the run key).</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="count">How many examples.</param>
    public static int[] Permutation(Key key, int epoch, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = Enumerable.Range(0, count).ToArray();
        if (count < 2)
            return order;
        var draws = Tensor.Uniform(key.Fold((ulong)epoch), new Shape(count), dtype: DType.Float64).AsSpan<double>();
        for (var i = count - 1; i > 0; i--)
        {
            var j = (int)(draws[i] * (i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// A stream reordered through a buffer of <paramref name="bufferSize"/> examples, as tf.data and Grain shuffle
    /// streams: output i is drawn from the buffer by the i-th draw of the epoch's key, so the order depends on the
    /// stream and the key alone.
    /// </summary>
    /// <typeparam name="T">The items.</typeparam>
    /// <param name="items">The stream, in its own order.</param>
    /// <param name="key">The shuffle key.</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="bufferSize">How many items the buffer holds (1 keeps the stream's order).</param>
    /// <param name="cancellation">Stops the stream.</param>
    public static async IAsyncEnumerable<T> Buffered<T>(IAsyncEnumerable<T> items, Key key, int epoch, int bufferSize, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        var epochKey = key.Fold((ulong)epoch);
        var buffer = new List<T>(bufferSize);
        long drawn = 0;
        await foreach (var item in items.WithCancellation(cancellation).ConfigureAwait(false))
        {
            buffer.Add(item);
            if (buffer.Count == bufferSize)
                yield return Take(buffer, RandomBits.UnitInterval(epochKey, drawn++, DType.Float64));
        }
        while (buffer.Count > 0)
            yield return Take(buffer, RandomBits.UnitInterval(epochKey, drawn++, DType.Float64));
    }

    private static T Take<T>(List<T> buffer, double draw)
    {
        var i = (int)(draw * buffer.Count);
        var item = buffer[i];
        buffer[i] = buffer[^1];
        buffer.RemoveAt(buffer.Count - 1);
        return item;
    }
}
