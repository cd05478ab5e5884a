using Pipelines.Kernels.Threading;

namespace Pipelines.Kernels.Gemm;

/// <summary>How to run one product: a thread count (default <see cref="ThreadBudget.MaxThreads"/>) and a vector width (default the widest the machine accelerates).</summary>
/// <param name="Threads">The most threads the product may use; null for <see cref="ThreadBudget.MaxThreads"/>.</param>
/// <param name="Width">The vector width; null for the widest this machine accelerates.</param>
public readonly record struct GemmOptions(int? Threads = null, VectorWidth? Width = null)
{
    /// <summary>A blocking other than this machine's, for the laws that show blocking never changes a bit.</summary>
    internal BlockSizes? Blocking { get; init; }

    internal int ResolvedThreads => Threads is { } t
        ? t >= 1 ? t : throw new ArgumentOutOfRangeException(nameof(Threads), t, "A product needs at least one thread.")
        : ThreadBudget.MaxThreads;

    internal VectorWidth ResolvedWidth => Width is { } w
        ? w <= VectorWidths.Best ? w : throw new ArgumentOutOfRangeException(nameof(Width), w, $"This machine runs vector widths up to {VectorWidths.Best}.")
        : VectorWidths.Best;
}
