using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pipelines.Kernels.Gemm;

/// <summary>
/// The register-tiled micro-kernel: a tile of up to 6 rows × 4 vectors of C, each element computed as
/// <c>c = init; c = fma(a[i,p], b[p,j], c)</c> for p in order, with A and B read from packed panels.
/// <typeparamref name="TRows"/> and <typeparamref name="TVectors"/> are compile-time constants: the JIT
/// specialises this method for each pair and drops the unused accumulators, so the full 6×4 tile
/// (32-register machines), the 6×2 tile (16-register machines) and the edge tiles of fewer rows are one
/// source. A is either a packed panel or a row-major block read in place (strides say which). The body is unrolled by hand because accumulators must be plain locals to live in registers.
/// </summary>
internal static unsafe class MicroKernel<TOps, TVector, T, TRows, TVectors>
    where TOps : IVectorOps<TVector, T>
    where TVector : struct
    where T : unmanaged, IFloatingPointIeee754<T>
    where TRows : IConstant
    where TVectors : IConstant
{
    /// <param name="kc">Length of the reduction.</param>
    /// <param name="a">Element (0, 0) of the A tile: element (r, p) is at <c>a[r·aRowStride + p·aColStride]</c>.</param>
    /// <param name="aRowStride">1 for a packed panel; the leading dimension for a row-major A read in place.</param>
    /// <param name="aColStride">MR for a packed panel; 1 for a row-major A read in place.</param>
    /// <param name="b">Packed B panel: for each p, NR = TVectors × lanes consecutive column values.</param>
    /// <param name="c">Top-left element of the C tile.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="init">Where the accumulators start: C itself, a bias row (stride 0) or a zero row.</param>
    /// <param name="initStride">Row stride of <paramref name="init"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, nint aRowStride, nint aColStride, T* b, T* c, nint ldc, T* init, nint initStride)
    {
        var w = (nint)TOps.Count;
        var nr = w * TVectors.Value;
        TVector c00 = default, c01 = default, c02 = default, c03 = default;
        TVector c10 = default, c11 = default, c12 = default, c13 = default;
        TVector c20 = default, c21 = default, c22 = default, c23 = default;
        TVector c30 = default, c31 = default, c32 = default, c33 = default;
        TVector c40 = default, c41 = default, c42 = default, c43 = default;
        TVector c50 = default, c51 = default, c52 = default, c53 = default;

        c00 = TOps.Load(ref *init, 0);
        if (TVectors.Value > 1)
            c01 = TOps.Load(ref *init, w);
        if (TVectors.Value > 2)
            c02 = TOps.Load(ref *init, (2 * w));
        if (TVectors.Value > 3)
            c03 = TOps.Load(ref *init, (3 * w));
        if (TRows.Value > 1)
            c10 = TOps.Load(ref *init, initStride);
        if (TRows.Value > 1 && TVectors.Value > 1)
            c11 = TOps.Load(ref *init, initStride + w);
        if (TRows.Value > 1 && TVectors.Value > 2)
            c12 = TOps.Load(ref *init, initStride + (2 * w));
        if (TRows.Value > 1 && TVectors.Value > 3)
            c13 = TOps.Load(ref *init, initStride + (3 * w));
        if (TRows.Value > 2)
            c20 = TOps.Load(ref *init, (2 * initStride));
        if (TRows.Value > 2 && TVectors.Value > 1)
            c21 = TOps.Load(ref *init, (2 * initStride) + w);
        if (TRows.Value > 2 && TVectors.Value > 2)
            c22 = TOps.Load(ref *init, (2 * initStride) + (2 * w));
        if (TRows.Value > 2 && TVectors.Value > 3)
            c23 = TOps.Load(ref *init, (2 * initStride) + (3 * w));
        if (TRows.Value > 3)
            c30 = TOps.Load(ref *init, (3 * initStride));
        if (TRows.Value > 3 && TVectors.Value > 1)
            c31 = TOps.Load(ref *init, (3 * initStride) + w);
        if (TRows.Value > 3 && TVectors.Value > 2)
            c32 = TOps.Load(ref *init, (3 * initStride) + (2 * w));
        if (TRows.Value > 3 && TVectors.Value > 3)
            c33 = TOps.Load(ref *init, (3 * initStride) + (3 * w));
        if (TRows.Value > 4)
            c40 = TOps.Load(ref *init, (4 * initStride));
        if (TRows.Value > 4 && TVectors.Value > 1)
            c41 = TOps.Load(ref *init, (4 * initStride) + w);
        if (TRows.Value > 4 && TVectors.Value > 2)
            c42 = TOps.Load(ref *init, (4 * initStride) + (2 * w));
        if (TRows.Value > 4 && TVectors.Value > 3)
            c43 = TOps.Load(ref *init, (4 * initStride) + (3 * w));
        if (TRows.Value > 5)
            c50 = TOps.Load(ref *init, (5 * initStride));
        if (TRows.Value > 5 && TVectors.Value > 1)
            c51 = TOps.Load(ref *init, (5 * initStride) + w);
        if (TRows.Value > 5 && TVectors.Value > 2)
            c52 = TOps.Load(ref *init, (5 * initStride) + (2 * w));
        if (TRows.Value > 5 && TVectors.Value > 3)
            c53 = TOps.Load(ref *init, (5 * initStride) + (3 * w));

        for (var p = 0; p < kc; p++)
        {
            var b0 = TOps.Load(ref *b, 0);
            var b1 = 1 < TVectors.Value ? TOps.Load(ref *b, w) : default;
            var b2 = 2 < TVectors.Value ? TOps.Load(ref *b, 2 * w) : default;
            var b3 = 3 < TVectors.Value ? TOps.Load(ref *b, 3 * w) : default;
            var a0 = TOps.Broadcast(a[0]);
            c00 = TOps.MultiplyAdd(a0, b0, c00);
            if (TVectors.Value > 1)
                c01 = TOps.MultiplyAdd(a0, b1, c01);
            if (TVectors.Value > 2)
                c02 = TOps.MultiplyAdd(a0, b2, c02);
            if (TVectors.Value > 3)
                c03 = TOps.MultiplyAdd(a0, b3, c03);

            if (TRows.Value > 1)
            {
                var a1 = TOps.Broadcast(a[aRowStride]);
                c10 = TOps.MultiplyAdd(a1, b0, c10);
                if (TVectors.Value > 1)
                    c11 = TOps.MultiplyAdd(a1, b1, c11);
                if (TVectors.Value > 2)
                    c12 = TOps.MultiplyAdd(a1, b2, c12);
                if (TVectors.Value > 3)
                    c13 = TOps.MultiplyAdd(a1, b3, c13);
            }

            if (TRows.Value > 2)
            {
                var a2 = TOps.Broadcast(a[2 * aRowStride]);
                c20 = TOps.MultiplyAdd(a2, b0, c20);
                if (TVectors.Value > 1)
                    c21 = TOps.MultiplyAdd(a2, b1, c21);
                if (TVectors.Value > 2)
                    c22 = TOps.MultiplyAdd(a2, b2, c22);
                if (TVectors.Value > 3)
                    c23 = TOps.MultiplyAdd(a2, b3, c23);
            }

            if (TRows.Value > 3)
            {
                var a3 = TOps.Broadcast(a[3 * aRowStride]);
                c30 = TOps.MultiplyAdd(a3, b0, c30);
                if (TVectors.Value > 1)
                    c31 = TOps.MultiplyAdd(a3, b1, c31);
                if (TVectors.Value > 2)
                    c32 = TOps.MultiplyAdd(a3, b2, c32);
                if (TVectors.Value > 3)
                    c33 = TOps.MultiplyAdd(a3, b3, c33);
            }

            if (TRows.Value > 4)
            {
                var a4 = TOps.Broadcast(a[4 * aRowStride]);
                c40 = TOps.MultiplyAdd(a4, b0, c40);
                if (TVectors.Value > 1)
                    c41 = TOps.MultiplyAdd(a4, b1, c41);
                if (TVectors.Value > 2)
                    c42 = TOps.MultiplyAdd(a4, b2, c42);
                if (TVectors.Value > 3)
                    c43 = TOps.MultiplyAdd(a4, b3, c43);
            }

            if (TRows.Value > 5)
            {
                var a5 = TOps.Broadcast(a[5 * aRowStride]);
                c50 = TOps.MultiplyAdd(a5, b0, c50);
                if (TVectors.Value > 1)
                    c51 = TOps.MultiplyAdd(a5, b1, c51);
                if (TVectors.Value > 2)
                    c52 = TOps.MultiplyAdd(a5, b2, c52);
                if (TVectors.Value > 3)
                    c53 = TOps.MultiplyAdd(a5, b3, c53);
            }
            a += aColStride;
            b += nr;
        }

        TOps.Store(c00, ref *c, 0);
        if (TVectors.Value > 1)
            TOps.Store(c01, ref *c, w);
        if (TVectors.Value > 2)
            TOps.Store(c02, ref *c, (2 * w));
        if (TVectors.Value > 3)
            TOps.Store(c03, ref *c, (3 * w));
        if (TRows.Value > 1)
            TOps.Store(c10, ref *c, ldc);
        if (TRows.Value > 1 && TVectors.Value > 1)
            TOps.Store(c11, ref *c, ldc + w);
        if (TRows.Value > 1 && TVectors.Value > 2)
            TOps.Store(c12, ref *c, ldc + (2 * w));
        if (TRows.Value > 1 && TVectors.Value > 3)
            TOps.Store(c13, ref *c, ldc + (3 * w));
        if (TRows.Value > 2)
            TOps.Store(c20, ref *c, (2 * ldc));
        if (TRows.Value > 2 && TVectors.Value > 1)
            TOps.Store(c21, ref *c, (2 * ldc) + w);
        if (TRows.Value > 2 && TVectors.Value > 2)
            TOps.Store(c22, ref *c, (2 * ldc) + (2 * w));
        if (TRows.Value > 2 && TVectors.Value > 3)
            TOps.Store(c23, ref *c, (2 * ldc) + (3 * w));
        if (TRows.Value > 3)
            TOps.Store(c30, ref *c, (3 * ldc));
        if (TRows.Value > 3 && TVectors.Value > 1)
            TOps.Store(c31, ref *c, (3 * ldc) + w);
        if (TRows.Value > 3 && TVectors.Value > 2)
            TOps.Store(c32, ref *c, (3 * ldc) + (2 * w));
        if (TRows.Value > 3 && TVectors.Value > 3)
            TOps.Store(c33, ref *c, (3 * ldc) + (3 * w));
        if (TRows.Value > 4)
            TOps.Store(c40, ref *c, (4 * ldc));
        if (TRows.Value > 4 && TVectors.Value > 1)
            TOps.Store(c41, ref *c, (4 * ldc) + w);
        if (TRows.Value > 4 && TVectors.Value > 2)
            TOps.Store(c42, ref *c, (4 * ldc) + (2 * w));
        if (TRows.Value > 4 && TVectors.Value > 3)
            TOps.Store(c43, ref *c, (4 * ldc) + (3 * w));
        if (TRows.Value > 5)
            TOps.Store(c50, ref *c, (5 * ldc));
        if (TRows.Value > 5 && TVectors.Value > 1)
            TOps.Store(c51, ref *c, (5 * ldc) + w);
        if (TRows.Value > 5 && TVectors.Value > 2)
            TOps.Store(c52, ref *c, (5 * ldc) + (2 * w));
        if (TRows.Value > 5 && TVectors.Value > 3)
            TOps.Store(c53, ref *c, (5 * ldc) + (3 * w));
    }
}
