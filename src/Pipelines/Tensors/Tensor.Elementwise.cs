using System.Numerics.Tensors;
using System.Numerics;

namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>Element-wise sum with NumPy/PyTorch broadcasting.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator +(Tensor a, Tensor b) => Broadcast<AddPrimitive>(a, b);

    /// <summary>Element-wise difference with broadcasting.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator -(Tensor a, Tensor b) => Broadcast<SubtractPrimitive>(a, b);

    /// <summary>Element-wise product with broadcasting.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator *(Tensor a, Tensor b) => Broadcast<MultiplyPrimitive>(a, b);

    /// <summary>Element-wise quotient with broadcasting.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator /(Tensor a, Tensor b) => Broadcast<DividePrimitive>(a, b);

    /// <summary>Negation.</summary>
    /// <param name="a">The operand.</param>
    public static Tensor operator -(Tensor a) => Unary<NegatePrimitive>(a, "negate");

    /// <summary>Adds a scalar to every element.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="s">The scalar (rounded to float32 for a float32 tensor).</param>
    public static Tensor operator +(Tensor a, double s) => WithScalar<AddPrimitive>(a, s);

    /// <summary>Subtracts a scalar from every element.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="s">The scalar.</param>
    public static Tensor operator -(Tensor a, double s) => WithScalar<SubtractPrimitive>(a, s);

    /// <summary>Multiplies every element by a scalar.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="s">The scalar.</param>
    public static Tensor operator *(Tensor a, double s) => WithScalar<MultiplyPrimitive>(a, s);

    /// <summary>Multiplies every element by a scalar.</summary>
    /// <param name="s">The scalar.</param>
    /// <param name="a">The tensor.</param>
    public static Tensor operator *(double s, Tensor a) => WithScalar<MultiplyPrimitive>(a, s);

    /// <summary>Divides every element by a scalar.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="s">The scalar.</param>
    public static Tensor operator /(Tensor a, double s) => WithScalar<DividePrimitive>(a, s);

    /// <summary>Element-wise maximum with broadcasting, like <c>torch.maximum</c> (NaN if either is NaN).</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other operand.</param>
    public static Tensor Maximum(Tensor a, Tensor b) => Broadcast<MaximumPrimitive>(a, b);

    /// <summary>Element-wise minimum with broadcasting, like <c>torch.minimum</c> (NaN if either is NaN).</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other operand.</param>
    public static Tensor Minimum(Tensor a, Tensor b) => Broadcast<MinimumPrimitive>(a, b);

    /// <summary><paramref name="s"/> minus each element.</summary>
    /// <param name="s">The scalar.</param>
    /// <param name="a">The tensor.</param>
    public static Tensor operator -(double s, Tensor a) => WithScalar<AddPrimitive>(-a, s);

    /// <summary><paramref name="s"/> plus each element.</summary>
    /// <param name="s">The scalar.</param>
    /// <param name="a">The tensor.</param>
    public static Tensor operator +(double s, Tensor a) => WithScalar<AddPrimitive>(a, s);

    /// <summary><paramref name="s"/> divided by each element.</summary>
    /// <param name="s">The scalar.</param>
    /// <param name="a">The tensor.</param>
    public static Tensor operator /(double s, Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return Full(a.Shape, s, a.DType) / a;
    }

    /// <summary>Each element raised to <paramref name="exponent"/>, like <c>x.pow(p)</c>.</summary>
    /// <param name="exponent">The power.</param>
    public Tensor Pow(double exponent)
    {
        RequireFloatingPoint("pow");
        if (DType == DType.Float32)
        {
            var data = GC.AllocateUninitializedArray<float>(Count);
            TensorPrimitives.Pow(Span<float>(), (float)exponent, data);
            return new Tensor(data, 0, Shape);
        }
        var result = GC.AllocateUninitializedArray<double>(Count);
        TensorPrimitives.Pow(Span<double>(), exponent, result);
        return new Tensor(result, 0, Shape);
    }

    /// <summary>Each element limited to [<paramref name="min"/>, <paramref name="max"/>], like <c>x.clamp(min, max)</c> (NaN stays NaN).</summary>
    /// <param name="min">The lower bound; -∞ for none.</param>
    /// <param name="max">The upper bound; +∞ for none.</param>
    public Tensor Clamp(double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (min > max)
            throw new ArgumentException($"Clamp's min ({min}) is above its max ({max}).", nameof(min));
        return WithScalar<MinimumPrimitive>(WithScalar<MaximumPrimitive>(this, min), max);
    }

    /// <summary>Element-wise absolute value.</summary>
    public Tensor Abs() => Unary<AbsPrimitive>(this, "abs");

    /// <summary>Element-wise eˣ.</summary>
    public Tensor Exp() => Unary<ExpPrimitive>(this, "exp");

    /// <summary>Element-wise natural logarithm.</summary>
    public Tensor Log() => Unary<LogPrimitive>(this, "log");

    /// <summary>Element-wise square root.</summary>
    public Tensor Sqrt() => Unary<SqrtPrimitive>(this, "sqrt");

    /// <summary>Element-wise hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary<TanhPrimitive>(this, "tanh");

    /// <summary>The shape two shapes broadcast to, or an error naming both.</summary>
    /// <param name="a">One shape.</param>
    /// <param name="b">The other shape.</param>
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

    private static Tensor WithScalar<TOperation>(Tensor a, double s)
        where TOperation : IPrimitiveBinary
    {
        ArgumentNullException.ThrowIfNull(a);
        a.RequireFloatingPoint(TOperation.Name);
        if (a.DType == DType.Float32)
        {
            var data = GC.AllocateUninitializedArray<float>(a.Count);
            TOperation.Invoke(a.Span<float>(), (float)s, data);
            return new Tensor(data, 0, a.Shape);
        }
        var result = GC.AllocateUninitializedArray<double>(a.Count);
        TOperation.Invoke(a.Span<double>(), s, result);
        return new Tensor(result, 0, a.Shape);
    }

    private static Tensor Unary<TOperation>(Tensor a, string name)
        where TOperation : IPrimitiveUnary
    {
        ArgumentNullException.ThrowIfNull(a);
        a.RequireFloatingPoint(name);
        return a.DType == DType.Float32 ? UnaryOf<TOperation, float>(a) : UnaryOf<TOperation, double>(a);
    }

    private static Tensor UnaryOf<TOperation, T>(Tensor a)
        where TOperation : IPrimitiveUnary
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = GC.AllocateUninitializedArray<T>(a.Count);
        TOperation.Invoke(a.Span<T>(), data);
        return new Tensor(data, 0, a.Shape);
    }

    private static Tensor Broadcast<TOperation>(Tensor a, Tensor b)
        where TOperation : IPrimitiveBinary
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        a.RequireFloatingPoint(TOperation.Name);
        b.RequireFloatingPoint(TOperation.Name);
        if (a.DType != b.DType)
            throw new ArgumentException($"Cannot {TOperation.Name} a {a.DType.Name()} tensor and a {b.DType.Name()} tensor; convert one with To().");
        Shape shape;
        try
        {
            shape = BroadcastShapes(a.Shape, b.Shape);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Cannot {TOperation.Name} tensors: {e.Message}", e);
        }
        return a.DType == DType.Float32 ? BroadcastOf<TOperation, float>(a, b, shape) : BroadcastOf<TOperation, double>(a, b, shape);
    }

    private static Tensor BroadcastOf<TOperation, T>(Tensor a, Tensor b, Shape shape)
        where TOperation : IPrimitiveBinary
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = GC.AllocateUninitializedArray<T>(shape.ElementCount);
        var x = a.Span<T>();
        var y = b.Span<T>();
        if (a.Shape == b.Shape)
        {
            TOperation.Invoke(x, y, result);
            return new Tensor(result, 0, shape);
        }
        if (b.Count == 1)
        {
            TOperation.Invoke(x, y[0], result);
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
                TOperation.Invoke(x.Slice(aOffset, inner), y.Slice(bOffset, inner), destination);
            }
            else
            {
                for (var j = 0; j < inner; j++)
                    destination[j] = TOperation.Invoke(x[aOffset + (j * aStep)], y[bOffset + (j * bStep)]);
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
