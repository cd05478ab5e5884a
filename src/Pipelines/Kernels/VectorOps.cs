using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pipelines.Kernels;

/// <summary>
/// The lane operations kernels are written in once for every vector width (GEMM's micro-kernel, the fused optimizer
/// updates, every element-wise operator). Implemented by empty structs so the JIT specialises a kernel for each width
/// and inlines these to single instructions. Every operation rounds as IEEE 754 says, the same at every width and in the scalar form (count 1) that
/// finishes a tail: a kernel gives bitwise the same element whichever width computed it.
/// </summary>
internal interface IVectorOps<TVector, T>
    where TVector : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract int Count { get; }

    static abstract TVector Load(ref T source, nint offset);

    static abstract void Store(TVector value, ref T destination, nint offset);

    static abstract TVector Broadcast(T value);

    /// <summary>a·b + c with a single rounding.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    static abstract TVector Add(TVector a, TVector b);

    static abstract TVector Multiply(TVector a, TVector b);

    static abstract TVector Subtract(TVector a, TVector b);

    /// <summary>−a, flipping the sign bit (−(+0) is −0, unlike 0 − a).</summary>
    static abstract TVector Negate(TVector a);

    /// <summary>a·2ⁿ for integral n with 2ⁿ a normal number, by building 2ⁿ from its exponent bits (exact).</summary>
    static abstract TVector ScaleByPowerOfTwo(TVector a, TVector n);

    static abstract TVector Divide(TVector a, TVector b);

    static abstract TVector Sqrt(TVector a);

    /// <summary>The IEEE 754 maximum: NaN if either is NaN, +0 over −0.</summary>
    static abstract TVector Max(TVector a, TVector b);

    /// <summary>Per lane, <paramref name="ifZero"/> where <paramref name="test"/> is ±0, else <paramref name="otherwise"/>.</summary>
    static abstract TVector SelectWhereZero(TVector test, TVector ifZero, TVector otherwise);

    /// <summary>Per lane, <paramref name="ifGreater"/> where a &gt; b, else <paramref name="otherwise"/> (so where either is NaN).</summary>
    static abstract TVector SelectWhereGreater(TVector a, TVector b, TVector ifGreater, TVector otherwise);

    /// <summary>Per lane, <paramref name="ifLess"/> where a &lt; b, else <paramref name="otherwise"/> (so where either is NaN).</summary>
    static abstract TVector SelectWhereLess(TVector a, TVector b, TVector ifLess, TVector otherwise);
}

internal readonly struct Vector512Ops<T> : IVectorOps<Vector512<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nint offset) => Vector512.LoadUnsafe(ref source, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Negate(Vector512<T> a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ScaleByPowerOfTwo(Vector512<T> a, Vector512<T> n)
    {
        if (typeof(T) == typeof(float))
        {
            var magic = Vector512.Create(PowerOfTwo.SingleMagic);
            var bits = ((n.AsSingle() + magic).AsUInt32() - magic.AsUInt32() + Vector512.Create(PowerOfTwo.SingleBias)) << PowerOfTwo.SingleShift;
            return (a.AsSingle() * bits.AsSingle()).As<float, T>();
        }
        var wide = Vector512.Create(PowerOfTwo.DoubleMagic);
        var wideBits = ((n.AsDouble() + wide).AsUInt64() - wide.AsUInt64() + Vector512.Create(PowerOfTwo.DoubleBias)) << PowerOfTwo.DoubleShift;
        return (a.AsDouble() * wideBits.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sqrt(Vector512<T> a) => Vector512.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> SelectWhereZero(Vector512<T> test, Vector512<T> ifZero, Vector512<T> otherwise) =>
        Vector512.ConditionalSelect(Vector512.Equals(test, Vector512<T>.Zero), ifZero, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> SelectWhereGreater(Vector512<T> a, Vector512<T> b, Vector512<T> ifGreater, Vector512<T> otherwise) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(a, b), ifGreater, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> SelectWhereLess(Vector512<T> a, Vector512<T> b, Vector512<T> ifLess, Vector512<T> otherwise) =>
        Vector512.ConditionalSelect(Vector512.LessThan(a, b), ifLess, otherwise);
}

internal readonly struct Vector256Ops<T> : IVectorOps<Vector256<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nint offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) =>
        typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Negate(Vector256<T> a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ScaleByPowerOfTwo(Vector256<T> a, Vector256<T> n)
    {
        if (typeof(T) == typeof(float))
        {
            var magic = Vector256.Create(PowerOfTwo.SingleMagic);
            var bits = ((n.AsSingle() + magic).AsUInt32() - magic.AsUInt32() + Vector256.Create(PowerOfTwo.SingleBias)) << PowerOfTwo.SingleShift;
            return (a.AsSingle() * bits.AsSingle()).As<float, T>();
        }
        var wide = Vector256.Create(PowerOfTwo.DoubleMagic);
        var wideBits = ((n.AsDouble() + wide).AsUInt64() - wide.AsUInt64() + Vector256.Create(PowerOfTwo.DoubleBias)) << PowerOfTwo.DoubleShift;
        return (a.AsDouble() * wideBits.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sqrt(Vector256<T> a) => Vector256.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> SelectWhereZero(Vector256<T> test, Vector256<T> ifZero, Vector256<T> otherwise) =>
        Vector256.ConditionalSelect(Vector256.Equals(test, Vector256<T>.Zero), ifZero, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> SelectWhereGreater(Vector256<T> a, Vector256<T> b, Vector256<T> ifGreater, Vector256<T> otherwise) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(a, b), ifGreater, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> SelectWhereLess(Vector256<T> a, Vector256<T> b, Vector256<T> ifLess, Vector256<T> otherwise) =>
        Vector256.ConditionalSelect(Vector256.LessThan(a, b), ifLess, otherwise);
}

internal readonly struct Vector128Ops<T> : IVectorOps<Vector128<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source, nint offset) => Vector128.LoadUnsafe(ref source, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Broadcast(T value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c) =>
        typeof(T) == typeof(float)
            ? Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Negate(Vector128<T> a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ScaleByPowerOfTwo(Vector128<T> a, Vector128<T> n)
    {
        if (typeof(T) == typeof(float))
        {
            var magic = Vector128.Create(PowerOfTwo.SingleMagic);
            var bits = ((n.AsSingle() + magic).AsUInt32() - magic.AsUInt32() + Vector128.Create(PowerOfTwo.SingleBias)) << PowerOfTwo.SingleShift;
            return (a.AsSingle() * bits.AsSingle()).As<float, T>();
        }
        var wide = Vector128.Create(PowerOfTwo.DoubleMagic);
        var wideBits = ((n.AsDouble() + wide).AsUInt64() - wide.AsUInt64() + Vector128.Create(PowerOfTwo.DoubleBias)) << PowerOfTwo.DoubleShift;
        return (a.AsDouble() * wideBits.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sqrt(Vector128<T> a) => Vector128.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> SelectWhereZero(Vector128<T> test, Vector128<T> ifZero, Vector128<T> otherwise) =>
        Vector128.ConditionalSelect(Vector128.Equals(test, Vector128<T>.Zero), ifZero, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> SelectWhereGreater(Vector128<T> a, Vector128<T> b, Vector128<T> ifGreater, Vector128<T> otherwise) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(a, b), ifGreater, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> SelectWhereLess(Vector128<T> a, Vector128<T> b, Vector128<T> ifLess, Vector128<T> otherwise) =>
        Vector128.ConditionalSelect(Vector128.LessThan(a, b), ifLess, otherwise);
}

internal readonly struct ScalarOps<T> : IVectorOps<T, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(ref T source, nint offset) => Unsafe.Add(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T value, ref T destination, nint offset) => Unsafe.Add(ref destination, offset) = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Broadcast(T value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MultiplyAdd(T a, T b, T c) => T.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add(T a, T b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Multiply(T a, T b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Subtract(T a, T b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Negate(T a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ScaleByPowerOfTwo(T a, T n)
    {
        if (typeof(T) == typeof(float))
        {
            var bits = (BitConverter.SingleToUInt32Bits((float)(object)n + PowerOfTwo.SingleMagic) - BitConverter.SingleToUInt32Bits(PowerOfTwo.SingleMagic) + PowerOfTwo.SingleBias) << PowerOfTwo.SingleShift;
            return a * (T)(object)BitConverter.UInt32BitsToSingle(bits);
        }
        var wideBits = (BitConverter.DoubleToUInt64Bits((double)(object)n + PowerOfTwo.DoubleMagic) - BitConverter.DoubleToUInt64Bits(PowerOfTwo.DoubleMagic) + PowerOfTwo.DoubleBias) << PowerOfTwo.DoubleShift;
        return a * (T)(object)BitConverter.UInt64BitsToDouble(wideBits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Divide(T a, T b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sqrt(T a) => T.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max(T a, T b) => T.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SelectWhereZero(T test, T ifZero, T otherwise) => test == T.Zero ? ifZero : otherwise;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SelectWhereGreater(T a, T b, T ifGreater, T otherwise) => a > b ? ifGreater : otherwise;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SelectWhereLess(T a, T b, T ifLess, T otherwise) => a < b ? ifLess : otherwise;
}

/// <summary>
/// The constants of <see cref="IVectorOps{TVector, T}.ScaleByPowerOfTwo"/>: adding 1.5·2^(mantissa bits) to an integral
/// value puts it, offset, in the low mantissa bits, so subtracting the magic number's bits gives it as an integer.
/// </summary>
internal static class PowerOfTwo
{
    public const float SingleMagic = 12582912f;
    public const uint SingleBias = 127;
    public const int SingleShift = 23;
    public const double DoubleMagic = 6755399441055744.0;
    public const ulong DoubleBias = 1023;
    public const int DoubleShift = 52;
}
