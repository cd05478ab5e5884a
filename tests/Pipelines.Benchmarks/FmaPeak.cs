using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Pipelines.Kernels;
using Pipelines.Kernels.Gemm;

namespace Pipelines.Benchmarks;

/// <summary>
/// The machine's fused multiply-add limit in float32 at the widest vector width: 12 independent chains (more than
/// latency × throughput on any x64 core) with no loads, timed on one thread and on every core at once; the median of
/// five runs of about a fifth of a second each.
/// </summary>
internal static class FmaPeak
{
    private const long Steps = 20_000_000;

    public static (double OneThread, double AllThreads) Measure()
    {
        Chains(Steps / 100);
        var one = Median(() => Chains(Steps));
        var threads = Environment.ProcessorCount;
        var all = Median(() =>
        {
            using var start = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                Chains(Steps);
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
        }) / threads;
        var flops = Steps * 12 * Lanes * 2;
        return (flops / one / 1e9, flops / all / 1e9);
    }

    private static int Lanes => VectorWidths.Best switch
    {
        VectorWidth.Vector512 => Vector512<float>.Count,
        VectorWidth.Vector256 => Vector256<float>.Count,
        VectorWidth.Vector128 => Vector128<float>.Count,
        _ => 1,
    };

    private static double Median(Action run) => Timing.Median(Enumerable.Range(0, 5).Select(_ =>
    {
        var clock = Stopwatch.StartNew();
        run();
        return clock.Elapsed.TotalSeconds;
    }).ToList());

    private static float Chains(long steps) => VectorWidths.Best switch
    {
        VectorWidth.Vector512 => Chains<Vector512Ops<float>, Vector512<float>>(steps),
        VectorWidth.Vector256 => Chains<Vector256Ops<float>, Vector256<float>>(steps),
        VectorWidth.Vector128 => Chains<Vector128Ops<float>, Vector128<float>>(steps),
        _ => Chains<ScalarOps<float>, float>(steps),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float Chains<TOps, TVector>(long steps)
        where TOps : IVectorOps<TVector, float>
        where TVector : struct
    {
        var (x, y) = (TOps.Broadcast(0.999f), TOps.Broadcast(1.0000001f));
        TVector c0 = x, c1 = x, c2 = x, c3 = x, c4 = x, c5 = x, c6 = x, c7 = x, c8 = x, c9 = x, c10 = x, c11 = x;
        for (var i = 0L; i < steps; i++)
        {
            c0 = TOps.MultiplyAdd(c0, y, x);
            c1 = TOps.MultiplyAdd(c1, y, x);
            c2 = TOps.MultiplyAdd(c2, y, x);
            c3 = TOps.MultiplyAdd(c3, y, x);
            c4 = TOps.MultiplyAdd(c4, y, x);
            c5 = TOps.MultiplyAdd(c5, y, x);
            c6 = TOps.MultiplyAdd(c6, y, x);
            c7 = TOps.MultiplyAdd(c7, y, x);
            c8 = TOps.MultiplyAdd(c8, y, x);
            c9 = TOps.MultiplyAdd(c9, y, x);
            c10 = TOps.MultiplyAdd(c10, y, x);
            c11 = TOps.MultiplyAdd(c11, y, x);
        }
        // Summed as vectors and stored once: taking an accumulator's address (to read a lane) makes the JIT keep all
        // twelve on the stack, a store per multiply-add, and on a core with two 512-bit FMA pipes the stores set the rate.
        var total = TOps.Add(TOps.Add(TOps.Add(TOps.Add(c0, c1), TOps.Add(c2, c3)), TOps.Add(TOps.Add(c4, c5), TOps.Add(c6, c7))), TOps.Add(TOps.Add(c8, c9), TOps.Add(c10, c11)));
        var lanes = new float[TOps.Count];
        TOps.Store(total, ref lanes[0], 0);
        return lanes[0];
    }
}
