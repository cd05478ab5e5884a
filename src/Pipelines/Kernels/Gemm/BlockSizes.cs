using System.Globalization;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// The blocking of one vector width and element type, derived from the caches as BLIS's analytical model does (Low et
/// al., ACM TOMS 2016): a register tile of <see cref="Mr"/> rows × <see cref="Nr"/> columns; <see cref="Kc"/> so a
/// packed B micro-panel (Kc × Nr) takes half of L1, the other half left to the A micro-panels streaming past it and to
/// the C tile; <see cref="Mc"/> so a packed A block (Mc × Kc) takes about half of L2; <see cref="Nc"/> so a packed B
/// block (Kc × Nc) takes about half of the L3 share of each core that packs its own. The blocking changes only which products' parts run when: every element
/// is the same chain of fused multiply-adds in reduction order whatever these sizes are.
/// </summary>
internal readonly record struct BlockSizes(int Mr, int Vectors, int Lanes, int Kc, int Mc, int Nc, CacheLevel L1, CacheLevel L2)
{
    public const int MaxRows = 6;

    /// <summary>
    /// The shortest reduction block: the tile's Mr × Nr accumulators are loaded and stored once per block, and C of a
    /// large product lives in memory, so shorter blocks cost more than an L1 that cannot hold a micro-panel does (the
    /// panel then streams from L2, fast enough for one load per two fused multiply-adds).
    /// </summary>
    public const int MinKc = 256;

    /// <summary>The longest reduction block: past it C's traffic is already negligible, and a longer block only shortens Mc.</summary>
    public const int MaxKc = 512;

    /// <summary>The environment variable an expert sets to fix the blocking, as <c>kc=256,mc=240,nc=2048</c> (any of the three).</summary>
    public const string OverrideVariable = "PIPELINES_GEMM_BLOCKING";

    private static readonly Lazy<(int? Kc, int? Mc, int? Nc)> Override = new(() => ParseOverride(Environment.GetEnvironmentVariable(OverrideVariable)));

    /// <summary>Columns of the register tile.</summary>
    public int Nr => Vectors * Lanes;

    /// <summary>This machine's blocking for <typeparamref name="T"/> at <paramref name="width"/>.</summary>
    public static BlockSizes For<T>(VectorWidth width)
        where T : unmanaged =>
        Derive(CacheHierarchy.Detected, width, System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), VectorWidths.HasWideRegisterFile, Override.Value);

    /// <summary>
    /// The blocking for <paramref name="caches"/>: 6 rows × 4 vectors uses 24 accumulators, which fits 32-register
    /// (AVX-512) machines; 16-register machines get 6 × 2. Kc is a multiple of 32, Mc of Mr and Nc of Nr.
    /// </summary>
    public static BlockSizes Derive(CacheHierarchy caches, VectorWidth width, int elementSize, bool wideRegisterFile, (int? Kc, int? Mc, int? Nc) overrides = default)
    {
        var vectors = width == VectorWidth.Vector512 || wideRegisterFile ? 4 : 2;
        var lanes = width switch
        {
            VectorWidth.Vector512 => Vector512<byte>.Count / elementSize,
            VectorWidth.Vector256 => Vector256<byte>.Count / elementSize,
            VectorWidth.Vector128 => Vector128<byte>.Count / elementSize,
            _ => 1,
        };
        var (mr, nr) = (MaxRows, vectors * lanes);
        var kc = overrides.Kc ?? Math.Clamp((int)(caches.L1.Bytes / 2 / (nr * elementSize)) / 32 * 32, MinKc, MaxKc);
        var mc = overrides.Mc ?? Math.Max(mr, (int)(caches.L2.Bytes / 2 / ((long)kc * elementSize)) / mr * mr);
        var l3Share = caches.L3.Bytes / Math.Max(1, caches.L3.SharedBy);
        var nc = Math.Max(nr, (overrides.Nc ?? (int)Math.Min(int.MaxValue / 2, l3Share / 2 / ((long)kc * elementSize))) / nr * nr);
        return new BlockSizes(mr, vectors, lanes, kc, mc, nc, caches.L1, caches.L2);
    }

    /// <summary>
    /// Whether a row-major A block of <paramref name="rows"/> × <paramref name="kc"/> is packed rather than read in
    /// place, its rows <paramref name="rowStrideBytes"/> apart. In place, the micro-kernel reads Mr rows at once, which
    /// must not crowd one L1 set past the half of its ways the B micro-panel leaves free; and a block read again for
    /// each of several column <paramref name="panels"/> must not crowd L2's sets past half their ways either, as it does
    /// when the stride is a large power of two: rows of 512 float32 with a 256-long block use only every other 1 KiB of
    /// L2's sets. A block read for one panel only is read once either way, so packing it would only add a copy (the
    /// small-batch X·Wᵀ computed as W·Xᵀ reads all of W so).
    /// </summary>
    public bool PacksRowMajorA(long rowStrideBytes, int rows, int kc, int elementSize, int panels)
    {
        var line = Math.Max(1, L1.LineBytes);
        var l1Sets = Math.Max(1, L1.WayBytes / line);
        // Counted without allocating: this runs on every product whose A is row-major.
        for (var r = 0; r < Mr; r++)
        {
            var set = r * rowStrideBytes / line % l1Sets;
            var inSet = 0;
            for (var other = 0; other < Mr; other++)
                inSet += other * rowStrideBytes / line % l1Sets == set ? 1 : 0;
            if (inSet > L1.Ways / 2)
                return true;
        }
        if (panels <= 1)
            return false;
        // Row starts fall on multiples of gcd(stride, sets) lines; a row's segment of fewer lines than that leaves sets unused.
        var l2Sets = Math.Max(1, L2.WayBytes / Math.Max(1, L2.LineBytes));
        var segmentLines = Math.Max(1, ((long)kc * elementSize) / Math.Max(1, L2.LineBytes));
        var spacing = rowStrideBytes % L2.LineBytes == 0 ? GreatestCommonDivisor(rowStrideBytes / L2.LineBytes, l2Sets) : 1;
        var linesPerSet = (double)rows * segmentLines / l2Sets * Math.Max(1.0, (double)spacing / segmentLines);
        return linesPerSet > L2.Ways / 2.0;
    }

    private static long GreatestCommonDivisor(long a, long b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return Math.Max(1, a);
    }

    /// <summary>What was chosen and why, for <c>blocking</c>'s report.</summary>
    public string Describe(CacheHierarchy caches, int elementSize) => string.Create(CultureInfo.InvariantCulture,
        $"tile {Mr}×{Nr} ({Vectors} vectors of {Lanes}); kc {Kc}: B micro-panel {CacheLevel.Format((long)Kc * Nr * elementSize)} of L1's {CacheLevel.Format(caches.L1.Bytes)}{(Kc == MinKc && (long)Kc * Nr * elementSize > caches.L1.Bytes / 2 ? $" (at least {MinKc}: it streams from L2)" : string.Empty)}; " +
        $"mc {Mc}: A block {CacheLevel.Format((long)Mc * Kc * elementSize)} of L2's {CacheLevel.Format(caches.L2.Bytes)}; nc {Nc}: B block {CacheLevel.Format((long)Kc * Nc * elementSize)} of L3's {CacheLevel.Format(caches.L3.Bytes / Math.Max(1, caches.L3.SharedBy))} per core");

    /// <summary>Reads <c>kc=…,mc=…,nc=…</c>; a malformed value is an error naming the variable, never ignored.</summary>
    internal static (int? Kc, int? Mc, int? Nc) ParseOverride(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return default;
        (int? Kc, int? Mc, int? Nc) result = default;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
                throw new InvalidOperationException($"{OverrideVariable} must be like 'kc=256,mc=240,nc=2048' with positive whole numbers, but has '{part}'.");
            switch (pair[0].ToLowerInvariant())
            {
                case "kc":
                    result.Kc = value;
                    break;
                case "mc" when value % MaxRows == 0:
                    result.Mc = value;
                    break;
                case "mc":
                    throw new InvalidOperationException($"{OverrideVariable}: mc must be a multiple of the register tile's {MaxRows} rows, but is {value}.");
                case "nc":
                    result.Nc = value;
                    break;
                default:
                    throw new InvalidOperationException($"{OverrideVariable} sets kc, mc and nc, not '{pair[0]}' (in '{text}').");
            }
        }
        return result;
    }
}
