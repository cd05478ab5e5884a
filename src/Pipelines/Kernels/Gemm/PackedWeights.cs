using System.Runtime.CompilerServices;
using Pipelines.Tensors;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// Packed forms of weight tensors, kept beside the tensor for as long as it lives. A tensor never changes, so its
/// packing stays valid; the table holds it weakly, so a dropped layer drops its packing with it. Only the second
/// product with a tensor keeps a packed copy: in training every step makes new weights, each used once per product,
/// and those the GEMM packs block by block like any operand (on every thread at once, each packing its own panels)
/// instead of a pinned copy per step.
/// </summary>
internal static unsafe class PackedWeights
{
    private static readonly ConditionalWeakTable<Tensor, Entry> Cache = [];

    /// <summary>
    /// The weight W [out, in] packed as the right-hand operand (<c>Wᵀ</c> for the forward product, transposed; or
    /// <c>W</c> for the input gradient) if this is at least its second use that way; null on the first.
    /// </summary>
    public static PackedMatrix<T>? For<T>(Tensor weight, bool transposed, VectorWidth width)
        where T : unmanaged
    {
        var entry = Cache.GetValue(weight, static _ => new Entry());
        var slot = transposed ? 0 : 1;
        if (Volatile.Read(ref entry.Packed[slot]) is PackedMatrix<T> packed && packed.Width == width)
            return packed;
        if (Interlocked.Exchange(ref entry.Uses[slot], 1) == 0)
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
