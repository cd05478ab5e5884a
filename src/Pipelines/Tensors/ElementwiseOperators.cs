using System.Numerics;
using System.Numerics.Tensors;

namespace Pipelines.Tensors;

/// <summary>
/// Which TensorPrimitives function a binary tensor operation calls, as a type: the broadcasting driver is
/// specialised per operation, with no delegate call. The scalar rule serves strided (broadcast) rows.
/// </summary>
internal interface IPrimitiveBinary
{
    static abstract string Name { get; }

    static abstract T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    static abstract void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>;

    static abstract void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Which TensorPrimitives function a unary tensor operation calls.</summary>
internal interface IPrimitiveUnary
{
    static abstract void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

internal readonly struct AddPrimitive : IPrimitiveBinary
{
    public static string Name => "add";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => x + y;

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, destination);

    public static void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, destination);
}

internal readonly struct SubtractPrimitive : IPrimitiveBinary
{
    public static string Name => "subtract";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => x - y;

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, destination);

    public static void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, destination);
}

internal readonly struct MultiplyPrimitive : IPrimitiveBinary
{
    public static string Name => "multiply";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => x * y;

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, destination);

    public static void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, destination);
}

internal readonly struct DividePrimitive : IPrimitiveBinary
{
    public static string Name => "divide";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => x / y;

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, destination);

    public static void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, destination);
}

internal readonly struct MaximumPrimitive : IPrimitiveBinary
{
    public static string Name => "maximum";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => T.Max(x, y);

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, y, destination);

    public static void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, y, destination);
}

internal readonly struct MinimumPrimitive : IPrimitiveBinary
{
    public static string Name => "minimum";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => T.Min(x, y);

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Min(x, y, destination);

    public static void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Min(x, y, destination);
}

internal readonly struct NegatePrimitive : IPrimitiveUnary
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Negate(x, destination);
}

internal readonly struct AbsPrimitive : IPrimitiveUnary
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Abs(x, destination);
}

internal readonly struct ExpPrimitive : IPrimitiveUnary
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, destination);
}

internal readonly struct LogPrimitive : IPrimitiveUnary
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, destination);
}

internal readonly struct SqrtPrimitive : IPrimitiveUnary
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, destination);
}

internal readonly struct TanhPrimitive : IPrimitiveUnary
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Tanh(x, destination);
}
