using System.Numerics;
using System.Numerics.Tensors;

namespace Pipelines.Tensors;

/// <summary>A binary element-wise operation: a scalar rule plus the vectorised span form of the same rule.</summary>
internal interface IBinaryOperator
{
    static abstract string Name { get; }

    static abstract T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    static abstract void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A unary element-wise operation, in its vectorised span form.</summary>
internal interface IUnaryOperator
{
    static abstract void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

internal readonly struct AddOperator : IBinaryOperator
{
    public static string Name => "add";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => x + y;

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, destination);
}

internal readonly struct SubtractOperator : IBinaryOperator
{
    public static string Name => "subtract";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => x - y;

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, destination);
}

internal readonly struct MultiplyOperator : IBinaryOperator
{
    public static string Name => "multiply";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => x * y;

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, destination);
}

internal readonly struct DivideOperator : IBinaryOperator
{
    public static string Name => "divide";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => x / y;

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, destination);
}

internal readonly struct MaximumOperator : IBinaryOperator
{
    public static string Name => "maximum";

    public static T Invoke<T>(T x, T y)
        where T : unmanaged, IFloatingPointIeee754<T> => T.Max(x, y);

    public static void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, y, destination);
}

internal readonly struct NegateOperator : IUnaryOperator
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Negate(x, destination);
}

internal readonly struct AbsOperator : IUnaryOperator
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Abs(x, destination);
}

internal readonly struct ExpOperator : IUnaryOperator
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, destination);
}

internal readonly struct LogOperator : IUnaryOperator
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, destination);
}

internal readonly struct SqrtOperator : IUnaryOperator
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, destination);
}

internal readonly struct TanhOperator : IUnaryOperator
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Tanh(x, destination);
}
