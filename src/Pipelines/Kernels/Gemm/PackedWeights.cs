using System.Runtime.CompilerServices;
using Pipelines.Tensors;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// Packed forms of weight tensors, kept beside the tensor for as long as it lives. A tensor never changes, so its
/// packing stays valid; the table holds it weakly, so a dropped layer drops its packing with it. The first product
/// with a tensor packs into the thread's workspace and only the second keeps a copy: in training every step makes
/// new weights, which would otherwise cost a fresh pinned allocation (and its page faults) per step.
/// </summary>
internal static unsafe class PackedWeights
{
    private static readonly ConditionalWeakTable<Tensor, Entry> Cache = [];

    /// <summary>
    /// The weight W [out, in] packed as the right-hand operand: <c>Wᵀ</c> for the forward product (transposed),
    /// or <c>W</c> for the input gradient.
    /// </summary>
    public static PackedMatrix<T> For<T>(Tensor weight, bool transposed, VectorWidth width)
        where T : unmanaged
    {
        var entry = Cache.GetValue(weight, static _ => new Entry());
        var slot = transposed ? 0 : 1;
        if (Volatile.Read(ref entry.Packed[slot]) is PackedMatrix<T> packed && packed.Width == width)
            return packed;
        var seenBefore = Interlocked.Exchange(ref entry.Uses[slot], 1) == 1;
        fixed (T* data = weight.Span<T>())
        {
            var w = new MatrixView<T>(data, weight.Shape[0], weight.Shape[1], weight.Shape[1], 1);
            var b = transposed ? w.Transposed : w;
            if (!seenBefore)
                return PackedMatrix<T>.PackBorrowed(b, width);
            var fresh = PackedMatrix<T>.Pack(b, width);
            Volatile.Write(ref entry.Packed[slot], fresh);
            return fresh;
        }
    }

    private sealed class Entry
    {
        public readonly object?[] Packed = new object?[2];
        public readonly int[] Uses = new int[2];
    }
}
