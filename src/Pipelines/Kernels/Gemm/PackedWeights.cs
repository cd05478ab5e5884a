using System.Runtime.CompilerServices;
using Pipelines.Tensors;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// Packed forms of weight tensors, kept beside the tensor for as long as it lives. A tensor never changes, so its
/// packing stays valid; the table holds it weakly, so a dropped layer drops its packing with it. A packed copy is
/// kept only from a tensor's <see cref="KeepFromUse"/>th product in one direction: in training every step makes new
/// weights, used once per micro-batch, and those the GEMM packs block by block like any operand (on every thread at
/// once, each packing its own panels). A copy per step costs more than packing saves: it is pinned, pinned memory is
/// freed only by gen-2 collections and its budget triggers them, so at two micro-batches (two uses a step) the step's
/// copies made nearly every collection a gen-2 one.
/// </summary>
internal static unsafe class PackedWeights
{
    /// <summary>
    /// The product in one direction from which a weight's packed copy is kept: past any micro-batch count a training
    /// step uses, while a served or evaluated model's weights are used thousands of times.
    /// </summary>
    public const int KeepFromUse = 8;

    private static readonly ConditionalWeakTable<Tensor, Entry> Cache = [];

    /// <summary>
    /// The weight W [out, in] packed as the right-hand operand (<c>Wᵀ</c> for the forward product, transposed; or
    /// <c>W</c> for the input gradient) from its <see cref="KeepFromUse"/>th use that way; null before.
    /// </summary>
    public static PackedMatrix<T>? For<T>(Tensor weight, bool transposed, VectorWidth width)
        where T : unmanaged
    {
        var entry = Cache.GetValue(weight, static _ => new Entry());
        var slot = transposed ? 0 : 1;
        if (Volatile.Read(ref entry.Packed[slot]) is PackedMatrix<T> packed && packed.Width == width)
            return packed;
        if (Volatile.Read(ref entry.Uses[slot]) < KeepFromUse - 1 && Interlocked.Increment(ref entry.Uses[slot]) < KeepFromUse)
            return null;
        fixed (T* data = weight.Span<T>())
        {
            var fresh = PackedMatrix<T>.Pack(View(data, weight, transposed), width);
            Volatile.Write(ref entry.Packed[slot], fresh);
            return fresh;
        }
    }

    /// <summary>The weight as the right-hand operand: a view of W [out, in], transposed for the forward product.</summary>
    public static MatrixView<T> View<T>(T* data, Tensor weight, bool transposed)
        where T : unmanaged
    {
        var w = new MatrixView<T>(data, weight.Shape[0], weight.Shape[1], weight.Shape[1], 1);
        return transposed ? w.Transposed : w;
    }

    private sealed class Entry
    {
        public readonly object?[] Packed = new object?[2];
        public readonly int[] Uses = new int[2];
    }
}
