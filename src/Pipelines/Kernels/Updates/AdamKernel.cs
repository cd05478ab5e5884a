using System.Numerics;
using System.Runtime.Intrinsics;
using Pipelines.Kernels.Threading;
using Pipelines.Tensors;

namespace Pipelines.Kernels;

/// <summary>
/// One Adam step for one parameter tensor in a single pass: reads g, m, v (and the running maximum for AMSGrad) and p
/// once and writes the new moments and either the direction, the update or the new parameter. Each element follows
/// exactly the operations of the transformation chain it fuses, in the same order and dtype, so the fused optimizer
/// equals its chain bitwise: g ← g + p·λ (coupled); m ← m·β₁ + g·(1 − β₁); v ← v·β₂ + g·g·(1 − β₂);
/// d ← (m / (1 − β₁ᵗ)) / (√v̂ / √(1 − β₂ᵗ) + ε); d ← d + p·λ (decoupled); u ← d·(−lr); p ← p + u unless u = 0.
/// </summary>
internal static class AdamKernel
{
    /// <summary>The new moments and, per <paramref name="output"/>, the direction d, the update u, or the new parameter.</summary>
    /// <param name="g">The gradient.</param>
    /// <param name="m">The first moment.</param>
    /// <param name="v">The second moment.</param>
    /// <param name="maximum">The running maximum of the second moment (AMSGrad), or null.</param>
    /// <param name="p">The parameter (needed for decays and for the new parameter; may be null otherwise).</param>
    /// <param name="c">The step's scalars.</param>
    /// <param name="output">What the fourth result is.</param>
    public static (Tensor M, Tensor V, Tensor? Maximum, Tensor Result) Step(Tensor g, Tensor m, Tensor v, Tensor? maximum, Tensor? p, AdamCoefficients c, AdamOutput output)
    {
        Validate(g, m, v, maximum, p, c, output);
        return g.DType == DType.Float32
            ? StepOf<float>(g, m, v, maximum, p, c, output, reuse: false)
            : StepOf<double>(g, m, v, maximum, p, c, output, reuse: false);
    }

    /// <summary>
    /// The fused step to the new parameter, as <see cref="Step"/> with <see cref="AdamOutput.Parameter"/>, written over the
    /// storage of <paramref name="m"/>, <paramref name="v"/>, <paramref name="maximum"/> and <paramref name="p"/>, which
    /// the caller gives up: each must own its whole array and share it with no other tensor of the step. Every element
    /// is read before it is written, so the bits are those of <see cref="Step"/>. The given tensors are marked donated and
    /// the results are new tensor objects, so the packed-weight cache never serves a parameter's old packing.
    /// </summary>
    internal static (Tensor M, Tensor V, Tensor? Maximum, Tensor Result) StepOver(Tensor g, Tensor m, Tensor v, Tensor? maximum, Tensor p, AdamCoefficients c)
    {
        Validate(g, m, v, maximum, p, c, AdamOutput.Parameter);
        var results = g.DType == DType.Float32
            ? StepOf<float>(g, m, v, maximum, p, c, AdamOutput.Parameter, reuse: true)
            : StepOf<double>(g, m, v, maximum, p, c, AdamOutput.Parameter, reuse: true);
        // The given tensors now hold the new values under old names: reading them through the old objects is a bug.
        m.Donate();
        v.Donate();
        maximum?.Donate();
        p.Donate();
        return results;
    }

    private static void Validate(Tensor g, Tensor m, Tensor v, Tensor? maximum, Tensor? p, AdamCoefficients c, AdamOutput output)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(v);
        if (p is null && (c.CoupledDecay != 0 || c.DecoupledDecay != 0 || output == AdamOutput.Parameter))
            throw new ArgumentNullException(nameof(p), "Decays and the new parameter need the parameter.");
        if (maximum is null == c.Amsgrad)
            throw new ArgumentException(c.Amsgrad ? "AMSGrad needs the running maximum of the second moment." : "A running maximum is given but AMSGrad is off.", nameof(maximum));
        if (!g.DType.IsFloatingPoint())
            throw new ArgumentException($"Adam needs float32 or float64 gradients but got {g.DType.Name()}.", nameof(g));
        foreach (var (name, tensor) in new[] { ("m", m), ("v", v), ("maximum", maximum), ("p", p) })
        {
            if (tensor is not null && (tensor.Shape != g.Shape || tensor.DType != g.DType))
                throw new ArgumentException($"Adam's {name} is {tensor.Shape} ({tensor.DType.Name()}) but the gradient is {g.Shape} ({g.DType.Name()}).", name);
        }
    }

    private static unsafe (Tensor, Tensor, Tensor?, Tensor) StepOf<T>(Tensor gradient, Tensor firstMoment, Tensor secondMoment, Tensor? maximumMoment, Tensor? parameter, AdamCoefficients c, AdamOutput output, bool reuse)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var count = gradient.Count;
        T[] Output(Tensor? given) => reuse ? (T[])given!.Storage : GC.AllocateUninitializedArray<T>(count);
        var nextM = Output(firstMoment);
        var nextV = Output(secondMoment);
        var nextMax = c.Amsgrad ? Output(maximumMoment) : null;
        var result = Output(parameter);
        var scalars = new Scalars<T>(c, output);
        fixed (T* g = gradient.AsSpan<T>(), m = firstMoment.AsSpan<T>(), v = secondMoment.AsSpan<T>(), vmax = maximumMoment is null ? default : maximumMoment.AsSpan<T>(), p = parameter is null ? default : parameter.AsSpan<T>())
        fixed (T* m1 = nextM, v1 = nextV, vmax1 = nextMax, result1 = result)
        {
            var streams = new Streams<T>(g, m, v, vmax, p, m1, v1, vmax1, result1);
            ParallelChunks.Run(count, (start, end) => Run(streams, start, end, scalars));
        }
        var shape = gradient.Shape;
        return (Tensor.Own(nextM, shape), Tensor.Own(nextV, shape), nextMax is null ? null : Tensor.Own(nextMax, shape), Tensor.Own(result, shape));
    }

    /// <summary>Elements [start, end): whole vectors of the widest accelerated width, then the scalar form for the rest.</summary>
    private static void Run<T>(in Streams<T> streams, int start, int end, in Scalars<T> scalars)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var done = Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported ? Run<Vector512Ops<T>, Vector512<T>, T>(streams, start, end, scalars)
            : Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported ? Run<Vector256Ops<T>, Vector256<T>, T>(streams, start, end, scalars)
            : Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported ? Run<Vector128Ops<T>, Vector128<T>, T>(streams, start, end, scalars)
            : start;
        Run<ScalarOps<T>, T, T>(streams, done, end, scalars);
    }

    /// <summary>
    /// The step over whole vectors of <typeparamref name="TOps"/>'s width from <paramref name="start"/> towards
    /// <paramref name="end"/>; returns where it stopped. Written once for every width: the operations round the same way
    /// at each, so the scalar form that finishes the tail gives the bits a vector lane would.
    /// </summary>
    private static unsafe int Run<TOps, TVector, T>(in Streams<T> s, int start, int end, in Scalars<T> c)
        where TOps : struct, IVectorOps<TVector, T>
        where TVector : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref var g = ref *s.G;
        ref var m = ref *s.M;
        ref var v = ref *s.V;
        ref var vmax = ref *s.Maximum;
        ref var p = ref *s.P;
        ref var nextM = ref *s.NextM;
        ref var nextV = ref *s.NextV;
        ref var nextMax = ref *s.NextMaximum;
        ref var result = ref *s.Result;
        var (beta1, keep1, beta2, keep2) = (TOps.Broadcast(c.Beta1), TOps.Broadcast(c.Keep1), TOps.Broadcast(c.Beta2), TOps.Broadcast(c.Keep2));
        var (correction1, correction2, epsilon) = (TOps.Broadcast(c.Correction1), TOps.Broadcast(c.Correction2), TOps.Broadcast(c.Epsilon));
        var (coupled, decoupled, negativeRate) = (TOps.Broadcast(c.Coupled), TOps.Broadcast(c.Decoupled), TOps.Broadcast(c.NegativeRate));
        var i = start;
        for (; i <= end - TOps.Count; i += TOps.Count)
        {
            var gi = TOps.Load(ref g, i);
            if (c.HasCoupled)
                gi = TOps.Add(gi, TOps.Multiply(TOps.Load(ref p, i), coupled));
            var mi = TOps.Add(TOps.Multiply(TOps.Load(ref m, i), beta1), TOps.Multiply(gi, keep1));
            var vi = TOps.Add(TOps.Multiply(TOps.Load(ref v, i), beta2), TOps.Multiply(TOps.Multiply(gi, gi), keep2));
            TOps.Store(mi, ref nextM, i);
            TOps.Store(vi, ref nextV, i);
            var denominatorMoment = vi;
            if (c.Amsgrad)
            {
                denominatorMoment = TOps.Max(TOps.Load(ref vmax, i), vi);
                TOps.Store(denominatorMoment, ref nextMax, i);
            }
            var corrected = c.DividesByCorrection1 ? TOps.Divide(mi, correction1) : mi;
            var root = TOps.Sqrt(denominatorMoment);
            var d = TOps.Divide(corrected, TOps.Add(c.DividesByCorrection2 ? TOps.Divide(root, correction2) : root, epsilon));
            if (c.HasDecoupled)
                d = TOps.Add(d, TOps.Multiply(TOps.Load(ref p, i), decoupled));
            if (c.Output == AdamOutput.Direction)
            {
                TOps.Store(d, ref result, i);
                continue;
            }
            var u = TOps.Multiply(d, negativeRate);
            if (c.Output == AdamOutput.Update)
            {
                TOps.Store(u, ref result, i);
                continue;
            }
            var pi = TOps.Load(ref p, i);
            TOps.Store(TOps.SelectWhereZero(u, pi, TOps.Add(pi, u)), ref result, i);
        }
        return i;
    }

    /// <summary>
    /// What one step reads and writes, as pointers into pinned storage (so chunks on other threads can take their
    /// part); optional streams are null and never read.
    /// </summary>
    private readonly unsafe struct Streams<T>(T* g, T* m, T* v, T* maximum, T* p, T* nextM, T* nextV, T* nextMaximum, T* result)
        where T : unmanaged
    {
        public T* G { get; } = g;

        public T* M { get; } = m;

        public T* V { get; } = v;

        public T* Maximum { get; } = maximum;

        public T* P { get; } = p;

        public T* NextM { get; } = nextM;

        public T* NextV { get; } = nextV;

        public T* NextMaximum { get; } = nextMaximum;

        public T* Result { get; } = result;
    }

    /// <summary>The step's scalars in the element type, and which optional parts run.</summary>
    private readonly struct Scalars<T>(AdamCoefficients c, AdamOutput output)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Beta1 { get; } = T.CreateTruncating(c.Beta1);

        public T Keep1 { get; } = T.CreateTruncating(1 - c.Beta1);

        public T Beta2 { get; } = T.CreateTruncating(c.Beta2);

        public T Keep2 { get; } = T.CreateTruncating(1 - c.Beta2);

        public T Correction1 { get; } = T.CreateTruncating(c.BiasCorrection1);

        public T Correction2 { get; } = T.CreateTruncating(c.SqrtBiasCorrection2);

        public T Epsilon { get; } = T.CreateTruncating(c.Epsilon);

        public T Coupled { get; } = T.CreateTruncating(c.CoupledDecay);

        public T Decoupled { get; } = T.CreateTruncating(c.DecoupledDecay);

        public T NegativeRate { get; } = T.CreateTruncating(-c.LearningRate);

        /// <summary>
        /// Whether the bias corrections still divide: x / 1 is x exactly (IEEE division by one, a NaN stays the NaN it
        /// was), so once a correction rounds to 1 in the element type (1 − 0.9ᵗ after about 165 steps in float32) the
        /// division is left out without changing a bit. Division and square root are what bind this kernel, not memory.
        /// </summary>
        public bool DividesByCorrection1 { get; } = T.CreateTruncating(c.BiasCorrection1) != T.One;

        /// <inheritdoc cref="DividesByCorrection1"/>
        public bool DividesByCorrection2 { get; } = T.CreateTruncating(c.SqrtBiasCorrection2) != T.One;

        public bool HasCoupled { get; } = c.CoupledDecay != 0;

        public bool HasDecoupled { get; } = c.DecoupledDecay != 0;

        public bool Amsgrad { get; } = c.Amsgrad;

        public AdamOutput Output { get; } = output;
    }
}

/// <summary>What <see cref="AdamKernel.Step"/> returns beside the moments.</summary>
internal enum AdamOutput
{
    /// <summary>The direction m̂ / (√v̂ + ε) (plus a decoupled decay), before the learning rate: <c>ScaleByAdam</c>.</summary>
    Direction,

    /// <summary>The update −lr·direction: the optimizer's <c>Update</c>.</summary>
    Update,

    /// <summary>The new parameter p + update: the optimizer's fused <c>Apply</c>.</summary>
    Parameter,
}
