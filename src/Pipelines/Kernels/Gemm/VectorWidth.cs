using System.Runtime.Intrinsics;

namespace Pipelines.Kernels.Gemm;

/// <summary>The SIMD width a kernel runs at; the widest the hardware accelerates is chosen at run time unless forced.</summary>
public enum VectorWidth
{
    /// <summary>One element at a time (with fused multiply-add, so results equal the vector widths').</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE / NEON).</summary>
    Vector128,

    /// <summary>256-bit vectors (AVX2).</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512).</summary>
    Vector512,
}

/// <summary>What this machine accelerates.</summary>
public static class VectorWidths
{
    /// <summary>The widest width with hardware acceleration and fused multiply-add.</summary>
    public static VectorWidth Best { get; } =
        Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? VectorWidth.Vector512
        : Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported ? VectorWidth.Vector256
        : Vector128.IsHardwareAccelerated ? VectorWidth.Vector128
        : VectorWidth.Scalar;

    /// <summary>Every width this machine can run (accelerated or emulated exactly); tests use it to exercise each one.</summary>
    public static IReadOnlyList<VectorWidth> Available { get; } = [.. Enum.GetValues<VectorWidth>().Where(w => w <= Best)];

    /// <summary>Whether the machine has 32 vector registers (AVX-512), so a 6×4-vector register tile fits at any width.</summary>
    internal static bool HasWideRegisterFile => System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
}
