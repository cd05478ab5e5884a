using System.Globalization;
using Pipelines.Kernels.Gemm;

namespace Pipelines.Benchmarks;

/// <summary>
/// <c>blocking</c>: the caches this machine describes, the GEMM blocking derived from them for each vector width and
/// element type (and an expert's override, if set), the L1 rule for reading A in place, and the measured FMA peak that
/// <c>compare</c>'s rates are fractions of.
/// </summary>
internal static class Blocking
{
    public static int Run()
    {
        var caches = CacheHierarchy.Detected;
        Console.WriteLine($"processor: {Environment.ProcessorCount} cores, widest vector width {VectorWidths.Best}{(VectorWidths.HasWideRegisterFile ? ", 32 vector registers" : ", 16 vector registers")}");
        Console.WriteLine($"caches: {caches}");
        if (CacheHierarchy.FromSysfs("/sys/devices/system/cpu/cpu0/cache") is { } sysfs && caches.Source != sysfs.Source)
            Console.WriteLine($"        Linux says: {sysfs}");
        var set = Environment.GetEnvironmentVariable(BlockSizes.OverrideVariable);
        Console.WriteLine(string.IsNullOrWhiteSpace(set)
            ? $"override: none ({BlockSizes.OverrideVariable}=kc=…,mc=…,nc=… sets any of the three)"
            : $"override: {BlockSizes.OverrideVariable}={set}");
        Console.WriteLine();
        foreach (var width in VectorWidths.Available.Reverse())
        {
            Console.WriteLine($"{width}, float32: {BlockSizes.For<float>(width).Describe(caches, sizeof(float))}");
            Console.WriteLine($"{width}, float64: {BlockSizes.For<double>(width).Describe(caches, sizeof(double))}");
        }
        var blocks = BlockSizes.For<float>(VectorWidths.Best);
        Console.WriteLine();
        string Read(int columns) => blocks.PacksRowMajorA((long)columns * sizeof(float), blocks.Mc, blocks.Kc, sizeof(float), panels: 2) ? "packed" : "read in place";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"A row-major A is packed when its {blocks.Mr} tile rows crowd an L1 set, or a full block's rows L2's sets (when the block is read for several column panels), past half their ways; float32 rows of 784: {Read(784)}; 1000: {Read(1000)}; 512: {Read(512)}; 1024: {Read(1024)}."));
        Console.WriteLine();
        var (one, all) = FmaPeak.Measure();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"measured FMA peak ({VectorWidths.Best}, float32, 12 independent chains): {one:F1} GFLOP/s on one thread, {all:F1} on {Environment.ProcessorCount}"));
        return 0;
    }
}
