using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace Pipelines.Kernels.Gemm;

/// <summary>One data cache level: its size, associativity, line size and how many cores share one instance of it.</summary>
/// <param name="Bytes">Capacity of one instance.</param>
/// <param name="Ways">Associativity (1 when the source does not say).</param>
/// <param name="LineBytes">Line size.</param>
/// <param name="SharedBy">Cores that share one instance (1 for a private cache).</param>
internal readonly record struct CacheLevel(long Bytes, int Ways, int LineBytes, int SharedBy)
{
    /// <summary>Bytes one way holds: addresses this far apart fall in the same set.</summary>
    public long WayBytes => Bytes / Math.Max(1, Ways);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Format(Bytes)}, {Ways}-way, {LineBytes} B lines{(SharedBy > 1 ? $", shared by {SharedBy} cores" : string.Empty)}");

    internal static string Format(long bytes) => bytes >= 1 << 20 && bytes % (1 << 20) == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes >> 20} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes >> 10} KiB");
}

/// <summary>
/// The data caches a product's blocking is derived from, and where they were read: the processor's own cache
/// description (CPUID leaf 4 on Intel, 0x8000001D on AMD), else Linux's <c>/sys/devices/system/cpu/cpu0/cache</c>,
/// else <see cref="Default"/>, which is small enough that the blocks it gives fit any machine's caches.
/// </summary>
/// <param name="L1">The level-1 data cache.</param>
/// <param name="L2">The level-2 cache.</param>
/// <param name="L3">The last-level cache (the L2 again on machines without an L3).</param>
/// <param name="Source">Where the sizes came from.</param>
internal sealed record CacheHierarchy(CacheLevel L1, CacheLevel L2, CacheLevel L3, string Source)
{
    /// <summary>What a machine that describes no caches is assumed to have: 32 KiB L1, 256 KiB L2, 2 MiB L3 per core.</summary>
    public static CacheHierarchy Default { get; } = new(new(32 << 10, 8, 64, 1), new(256 << 10, 8, 64, 1), new(2 << 20, 16, 64, 1), "default (no cache description found)");

    /// <summary>This machine's caches, read once.</summary>
    public static CacheHierarchy Detected { get; } = FromCpuid() ?? FromSysfs("/sys/devices/system/cpu/cpu0/cache") ?? Default;

    /// <inheritdoc/>
    public override string ToString() => $"L1d {L1}; L2 {L2}; L3 {L3} (from {Source})";

    /// <summary>The caches CPUID's deterministic cache parameters leaf describes, or null off x86 or where the leaf is absent.</summary>
    internal static CacheHierarchy? FromCpuid()
    {
        if (!X86Base.IsSupported)
            return null;
        var (_, vendorB, vendorC, vendorD) = X86Base.CpuId(0, 0);
        var amd = vendorB == 0x68747541 && vendorD == 0x69746e65 && vendorC == 0x444d4163;
        uint leaf;
        if (amd)
        {
            // AMD describes caches in 0x8000001D when TOPOEXT (leaf 0x80000001, ECX bit 22) is set.
            var (maxExtended, _, _, _) = X86Base.CpuId(unchecked((int)0x80000000), 0);
            if ((uint)maxExtended < 0x8000001D || (X86Base.CpuId(unchecked((int)0x80000001), 0).Ecx & (1 << 22)) == 0)
                return null;
            leaf = 0x8000001D;
        }
        else
        {
            var (maxBasic, _, _, _) = X86Base.CpuId(0, 0);
            if (maxBasic < 4)
                return null;
            leaf = 4;
        }
        var levels = new List<(int Level, CacheLevel Cache)>();
        for (var index = 0; index < 16; index++)
        {
            var (eax, ebx, ecx, _) = X86Base.CpuId(unchecked((int)leaf), index);
            var type = eax & 0x1F;
            if (type == 0)
                break;
            if (type == 2)
                continue; // an instruction cache
            var level = (eax >> 5) & 0x7;
            var ways = ((ebx >> 22) & 0x3FF) + 1;
            var partitions = ((ebx >> 12) & 0x3FF) + 1;
            var line = (ebx & 0xFFF) + 1;
            var sets = (long)(uint)ecx + 1;
            var sharedBy = ((eax >> 14) & 0xFFF) + 1;
            levels.Add((level, new CacheLevel(ways * partitions * line * sets, ways, line, Math.Min(sharedBy, Environment.ProcessorCount))));
        }
        return FromLevels(levels, amd ? "CPUID leaf 0x8000001D" : "CPUID leaf 4");
    }

    /// <summary>The caches Linux describes under <paramref name="directory"/> (one <c>indexN</c> folder per cache), or null where it does not.</summary>
    internal static CacheHierarchy? FromSysfs(string directory)
    {
        if (!Directory.Exists(directory))
            return null;
        var levels = new List<(int Level, CacheLevel Cache)>();
        foreach (var index in Directory.EnumerateDirectories(directory, "index*"))
        {
            string? Read(string name) => File.Exists(Path.Combine(index, name)) ? File.ReadAllText(Path.Combine(index, name)).Trim() : null;
            if (Read("type") is not ("Data" or "Unified") || !int.TryParse(Read("level"), CultureInfo.InvariantCulture, out var level) || ParseSize(Read("size")) is not { } bytes)
                continue;
            var ways = int.TryParse(Read("ways_of_associativity"), CultureInfo.InvariantCulture, out var w) && w > 0 ? w : 1;
            var line = int.TryParse(Read("coherency_line_size"), CultureInfo.InvariantCulture, out var l) && l > 0 ? l : 64;
            levels.Add((level, new CacheLevel(bytes, ways, line, CountCpus(Read("shared_cpu_list")))));
        }
        return FromLevels(levels, directory);
    }

    /// <summary>The L1, L2 and last level of what a source listed, or null when it lists no L1 and L2.</summary>
    private static CacheHierarchy? FromLevels(List<(int Level, CacheLevel Cache)> levels, string source)
    {
        CacheLevel? Level(int n) => levels.Where(l => l.Level == n).Select(l => (CacheLevel?)l.Cache).FirstOrDefault();
        if (Level(1) is not { Bytes: > 0 } l1 || Level(2) is not { Bytes: > 0 } l2)
            return null;
        return new CacheHierarchy(l1, l2, Level(3) is { Bytes: > 0 } l3 ? l3 : l2, source);
    }

    /// <summary>"32K", "1024K", "8M" or plain bytes.</summary>
    private static long? ParseSize(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        var (digits, scale) = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => (text[..^1], 1L << 10),
            'M' => (text[..^1], 1L << 20),
            'G' => (text[..^1], 1L << 30),
            _ => (text, 1L),
        };
        return long.TryParse(digits, CultureInfo.InvariantCulture, out var value) && value > 0 ? value * scale : null;
    }

    /// <summary>How many CPUs a list such as "0-1" or "0,2,4-7" names (1 when absent).</summary>
    private static int CountCpus(string? list)
    {
        if (string.IsNullOrEmpty(list))
            return 1;
        var count = 0;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-');
            count += bounds.Length == 2 && int.TryParse(bounds[0], CultureInfo.InvariantCulture, out var first) && int.TryParse(bounds[1], CultureInfo.InvariantCulture, out var last)
                ? last - first + 1
                : 1;
        }
        return Math.Max(1, count);
    }
}
