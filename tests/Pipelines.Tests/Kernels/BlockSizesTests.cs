using Pipelines.Kernels.Gemm;
using Xunit;

namespace Pipelines.Tests.Kernels;

public sealed class BlockSizesTests
{
    private const int Float = sizeof(float);
    private const int Double = sizeof(double);

    /// <summary>Zen 5 (the machine the AVX-512 kernel was tuned on): 48 KiB 12-way L1d, 1 MiB L2, 32 MiB L3 per 8 cores.</summary>
    private static readonly CacheHierarchy Zen5 = new(new(48 << 10, 12, 64, 1), new(1 << 20, 16, 64, 1), new(32 << 20, 16, 64, 8), "Zen 5");

    /// <summary>Zen 3: 32 KiB 8-way L1d, 512 KiB L2, 32 MiB L3 per 8 cores.</summary>
    private static readonly CacheHierarchy Zen3 = new(new(32 << 10, 8, 64, 1), new(512 << 10, 8, 64, 1), new(32 << 20, 16, 64, 8), "Zen 3");

    /// <summary>
    /// The AVX-512 table as it was tuned on Zen 5 (Kc 256; an A block of about half its 1 MiB L2), so a change to the
    /// rule cannot move it unnoticed; its AVX2 rows keep the 6 × 4-vector tile the 32-register file allows.
    /// </summary>
    [Fact]
    public void Zen_5_keeps_the_table_its_AVX_512_kernel_was_tuned_with()
    {
        Assert.Equal(new BlockSizes(6, 4, 16, 256, 510, 2048, Zen5.L1, Zen5.L2), BlockSizes.Derive(Zen5, VectorWidth.Vector512, Float, wideRegisterFile: true));
        Assert.Equal(new BlockSizes(6, 4, 8, 256, 252, 1024, Zen5.L1, Zen5.L2), BlockSizes.Derive(Zen5, VectorWidth.Vector512, Double, wideRegisterFile: true));
        Assert.Equal(new BlockSizes(6, 4, 8, 256, 510, 2048, Zen5.L1, Zen5.L2), BlockSizes.Derive(Zen5, VectorWidth.Vector256, Float, wideRegisterFile: true));
    }

    /// <summary>Zen 3 and other 16-register AVX2 machines: the 6 × 16 tile, its B micro-panel half of L1, an A block half of L2.</summary>
    [Fact]
    public void An_AVX2_machine_with_a_512_KiB_L2_gets_A_blocks_of_half_of_it()
    {
        var floats = BlockSizes.Derive(Zen3, VectorWidth.Vector256, Float, wideRegisterFile: false);
        Assert.Equal(new BlockSizes(6, 2, 8, 256, 252, 2048, Zen3.L1, Zen3.L2), floats);
        Assert.Equal(16 << 10, floats.Kc * floats.Nr * Float);
        Assert.Equal(new BlockSizes(6, 2, 4, 256, 126, 1024, Zen3.L1, Zen3.L2), BlockSizes.Derive(Zen3, VectorWidth.Vector256, Double, wideRegisterFile: false));
    }

    [Fact]
    public void Blocks_stay_within_their_bounds_on_tiny_and_huge_caches()
    {
        var tiny = new CacheHierarchy(new(4 << 10, 2, 64, 1), new(8 << 10, 2, 64, 1), new(8 << 10, 2, 64, 4), "tiny");
        Assert.Equal(new BlockSizes(6, 2, 8, BlockSizes.MinKc, 6, 16, tiny.L1, tiny.L2), BlockSizes.Derive(tiny, VectorWidth.Vector256, Float, wideRegisterFile: false));
        var huge = new CacheHierarchy(new(1 << 20, 8, 64, 1), new(64 << 20, 16, 64, 1), new(1L << 34, 16, 64, 1), "huge");
        var blocks = BlockSizes.Derive(huge, VectorWidth.Vector128, Float, wideRegisterFile: false);
        Assert.Equal(BlockSizes.MaxKc, blocks.Kc);
        Assert.True(blocks.Nc > 0 && blocks.Nc % blocks.Nr == 0, $"nc {blocks.Nc}");
    }

    [Fact]
    public void The_detected_blocking_is_whole_tiles()
    {
        foreach (var width in VectorWidths.Available)
        {
            foreach (var blocks in new[] { BlockSizes.For<float>(width), BlockSizes.For<double>(width) })
            {
                Assert.True(blocks.Kc >= 1 && blocks.Mc % blocks.Mr == 0 && blocks.Nc % blocks.Nr == 0, $"{width}: {blocks}");
            }
        }
        Assert.True(CacheHierarchy.Detected.L1.Bytes > 0 && CacheHierarchy.Detected.L2.Bytes >= CacheHierarchy.Detected.L1.Bytes, CacheHierarchy.Detected.ToString());
    }

    /// <summary>
    /// Six rows 4 KiB apart share one set of an 8-way L1 (more than the half B leaves) but not of a 12-way one; a full A
    /// block of rows 2 KiB apart fills only half of L2's sets, which matters only when the block is read for more than
    /// one column panel; rows of 784 or 256 float32 spread over all of them.
    /// </summary>
    [Fact]
    public void A_is_packed_when_its_rows_would_crowd_the_sets_of_L1_or_L2()
    {
        const int Panels = 4;
        var zen3 = BlockSizes.Derive(Zen3, VectorWidth.Vector256, Float, wideRegisterFile: false);
        Assert.True(zen3.PacksRowMajorA(1024 * Float, 6, 256, Float, Panels));
        Assert.True(zen3.PacksRowMajorA(2048 * Float, 6, 256, Float, Panels));
        Assert.True(zen3.PacksRowMajorA(512 * Float, 252, 256, Float, Panels));
        Assert.False(zen3.PacksRowMajorA(512 * Float, 36, 256, Float, Panels));
        Assert.False(zen3.PacksRowMajorA(784 * Float, 252, 256, Float, Panels));
        Assert.False(zen3.PacksRowMajorA(256 * Float, 252, 256, Float, Panels));
        var zen5 = BlockSizes.Derive(Zen5, VectorWidth.Vector512, Float, wideRegisterFile: true);
        Assert.False(zen5.PacksRowMajorA(1024 * Float, 6, 256, Float, Panels));
        Assert.True(zen5.PacksRowMajorA(1024 * Float, 510, 256, Float, Panels));
        // A block read for one column panel only (W in W·Xᵀ for a batch narrower than a panel) is read once in place:
        // L2's sets do not matter, L1's still do.
        Assert.False(zen5.PacksRowMajorA(1024 * Float, 510, 256, Float, panels: 1));
        Assert.False(zen3.PacksRowMajorA(512 * Float, 252, 256, Float, panels: 1));
        Assert.True(zen3.PacksRowMajorA(1024 * Float, 6, 256, Float, panels: 1));
    }

    [Fact]
    public void The_override_sets_any_of_the_three_and_rejects_anything_else_by_name()
    {
        Assert.Equal(((int?)128, (int?)240, (int?)1024), BlockSizes.ParseOverride("kc=128, mc=240, NC=1024"));
        Assert.Equal(((int?)null, (int?)48, (int?)null), BlockSizes.ParseOverride("mc=48"));
        Assert.Equal(default, BlockSizes.ParseOverride(" "));
        var overridden = BlockSizes.Derive(Zen3, VectorWidth.Vector256, Float, wideRegisterFile: false, (64, 12, 100));
        Assert.Equal((64, 12, 96), (overridden.Kc, overridden.Mc, overridden.Nc));
        Assert.Equal("PIPELINES_GEMM_BLOCKING: mc must be a multiple of the register tile's 6 rows, but is 100.", Assert.Throws<InvalidOperationException>(() => BlockSizes.ParseOverride("mc=100")).Message);
        Assert.Contains("with positive whole numbers, but has 'kc=-1'", Assert.Throws<InvalidOperationException>(() => BlockSizes.ParseOverride("kc=-1")).Message, StringComparison.Ordinal);
        Assert.Contains("sets kc, mc and nc, not 'lc'", Assert.Throws<InvalidOperationException>(() => BlockSizes.ParseOverride("lc=3")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Linux_cache_descriptions_are_read_and_instruction_caches_skipped()
    {
        var root = Directory.CreateTempSubdirectory("caches").FullName;
        try
        {
            Write(root, 0, ("level", "1"), ("type", "Data"), ("size", "32K"), ("ways_of_associativity", "8"), ("coherency_line_size", "64"), ("shared_cpu_list", "0"));
            Write(root, 1, ("level", "1"), ("type", "Instruction"), ("size", "64K"));
            Write(root, 2, ("level", "2"), ("type", "Unified"), ("size", "512K"), ("ways_of_associativity", "8"));
            Write(root, 3, ("level", "3"), ("type", "Unified"), ("size", "8192K"), ("ways_of_associativity", "16"), ("shared_cpu_list", "0-1,4-5"));
            var caches = CacheHierarchy.FromSysfs(root);
            Assert.NotNull(caches);
            Assert.Equal(new CacheLevel(32 << 10, 8, 64, 1), caches.L1);
            Assert.Equal(new CacheLevel(512 << 10, 8, 64, 1), caches.L2);
            Assert.Equal(new CacheLevel(8 << 20, 16, 64, 4), caches.L3);
            Assert.Null(CacheHierarchy.FromSysfs(Path.Combine(root, "missing")));
            Directory.Delete(Path.Combine(root, "index2"), recursive: true);
            Assert.Null(CacheHierarchy.FromSysfs(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Write(string root, int index, params (string Name, string Value)[] files)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, $"index{index}")).FullName;
        foreach (var (name, value) in files)
            File.WriteAllText(Path.Combine(folder, name), value + "\n");
    }
}
