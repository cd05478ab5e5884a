using System.Numerics;
using System.Numerics.Tensors;

namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>Element-wise sum with NumPy/PyTorch broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Broadcast<AddOperator>(a, b);

    /// <summary>Element-wise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Broadcast<SubtractOperator>(a, b);

    /// <summary>Element-wise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Broadcast<MultiplyOperator>(a, b);

    /// <summary>Element-wise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Broadcast<DivideOperator>(a, b);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => Map<NegateOperator>(a);

    /// <summary>Adds a scalar to every element.</summary>
    public static Tensor operator +(Tensor a, double s) => WithScalar(a, s, static (x, v, d) => TensorPrimitives.Add(x, v, d), static (x, v, d) => TensorPrimitives.Add(x, v, d));

    /// <summary>Subtracts a scalar from every element.</summary>
    public static Tensor operator -(Tensor a, double s) => a + (-s);

    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(Tensor a, double s) => WithScalar(a, s, static (x, v, d) => TensorPrimitives.Multiply(x, v, d), static (x, v, d) => TensorPrimitives.Multiply(x, v, d));

    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(double s, Tensor a) => a * s;

    /// <summary>Divides every element by a scalar.</summary>
    public static Tensor operator /(Tensor a, double s) => WithScalar(a, s, static (x, v, d) => TensorPrimitives.Divide(x, v, d), static (x, v, d) => TensorPrimitives.Divide(x, v, d));

    /// <summary>Element-wise maximum with broadcasting, like <c>torch.maximum</c>.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Broadcast<MaximumOperator>(a, b);

    /// <summary>Element-wise absolute value.</summary>
    public Tensor Abs() => Map<AbsOperator>(this);

    /// <summary>Element-wise eᵡ.</summary>
    public Tensor Exp() => Map<ExpOperator>(this);

    /// <summary>Element-wise natural logarithm.</summary>
    public Tensor Log() => Map<LogOperator>(this);

    /// <summary>Element-wise square root.</summary>
    public Tensor Sqrt() => Map<SqrtOperator>(this);

    /// <summary>Element-wise hyperbolic tangent.</summary>
    public Tensor Tanh() => Map<TanhOperator>(this);

    /// <summary>The shape two shapes broadcast to, or an error naming both.</summary>
    public static Shape BroadcastShapes(Shape a, Shape b)
    {
        var rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (var i = 1; i <= rank; i++)
        {
            var da = i <= a.Rank ? a.Dims[^i] : 1;
            var db = i <= b.Rank ? b.Dims[^i] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"Shapes {a} and {b} cannot be broadcast together: axis {-i} has extents {da} and {db}.");
            dims[rank - i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    private delegate void ScalarSpanOperation<T>(ReadOnlySpan<T> x, T value, Span<T> destination);

    private static Tensor WithScalar(Tensor a, double s, ScalarSpanOperation<float> single, ScalarSpanOperation<double> wide)
    {
        if (a.DType == DType.Float32)
        {
            var data = GC.AllocateUninitializedArray<float>(a.Count);
            single(a.Span<float>(), (float)s, data);
            return new Tensor(data, 0, a.Shape);
        }
        var result = GC.AllocateUninitializedArray<double>(a.Count);
        wide(a.Span<double>(), s, result);
        return new Tensor(result, 0, a.Shape);
    }

    private static Tensor Map<TOperator>(Tensor a)
        where TOperator : IUnaryOperator => a.DType == DType.Float32 ? MapOf<TOperator, float>(a) : MapOf<TOperator, double>(a);

    private static Tensor MapOf<TOperator, T>(Tensor a)
        where TOperator : IUnaryOperator
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = GC.AllocateUninitializedArray<T>(a.Count);
        TOperator.Invoke(a.Span<T>(), data);
        return new Tensor(data, 0, a.Shape);
    }

    private static Tensor Broadcast<TOperator>(Tensor a, Tensor b)
        where TOperator : IBinaryOperator
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.DType != b.DType)
            throw new ArgumentException($"Cannot {TOperator.Name} a {a.DType.Name()} tensor and a {b.DType.Name()} tensor; convert one with To().");
        Shape shape;
        try
        {
            shape = BroadcastShapes(a.Shape, b.Shape);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Cannot {TOperator.Name} tensors: {e.Message}", e);
        }
        return a.DType == DType.Float32 ? BroadcastOf<TOperator, float>(a, b, shape) : BroadcastOf<TOperator, double>(a, b, shape);
    }

    private static Tensor BroadcastOf<TOperator, T>(Tensor a, Tensor b, Shape shape)
        where TOperator : IBinaryOperator
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = GC.AllocateUninitializedArray<T>(shape.ElementCount);
        var x = a.Span<T>();
        var y = b.Span<T>();
        if (a.Shape == b.Shape)
        {
            TOperator.Invoke(x, y, result);
            return new Tensor(result, 0, shape);
        }
        var rank = shape.Rank;
        var aStrides = BroadcastStrides(a.Shape, shape);
        var bStrides = BroadcastStrides(b.Shape, shape);
        var inner = shape.Last;
        var rows = shape.LeadingCount;
        var index = new int[Math.Max(0, rank - 1)];
        for (var row = 0; row < rows; row++)
        {
            var aOffset = 0;
            var bOffset = 0;
            for (var axis = 0; axis < index.Length; axis++)
            {
                aOffset += index[axis] * aStrides[axis];
                bOffset += index[axis] * bStrides[axis];
            }
            var destination = result.AsSpan(row * inner, inner);
            var aStep = rank == 0 ? 0 : aStrides[^1];
            var bStep = rank == 0 ? 0 : bStrides[^1];
            if (aStep == 1 && bStep == 1)
            {
                TOperator.Invoke(x.Slice(aOffset, inner), y.Slice(bOffset, inner), destination);
            }
            else
            {
                for (var j = 0; j < inner; j++)
                    destination[j] = TOperator.Invoke(x[aOffset + (j * aStep)], y[bOffset + (j * bStep)]);
            }
            for (var axis = index.Length - 1; axis >= 0; axis--)
            {
                if (++index[axis] < shape.Dims[axis])
                    break;
                index[axis] = 0;
            }
        }
        return new Tensor(result, 0, shape);
    }

    /// <summary>Row-major strides of <paramref name="source"/> aligned to <paramref name="target"/>'s axes, 0 where it broadcasts.</summary>
    private static int[] BroadcastStrides(Shape source, Shape target)
    {
        var strides = new int[target.Rank];
        var stride = 1;
        for (var i = 1; i <= source.Rank; i++)
        {
            var extent = source.Dims[^i];
            strides[target.Rank - i] = extent == 1 ? 0 : stride;
            stride *= extent;
        }
        return strides;
    }
}
