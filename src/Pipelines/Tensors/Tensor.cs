using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipelines.Tensors;

/// <summary>
/// An immutable n-dimensional array of <see cref="DType.Float32"/> or <see cref="DType.Float64"/>
/// elements in contiguous row-major order. No one mutates a tensor's storage after construction:
/// factories copy what they are given, operations write into fresh storage, and views
/// (<see cref="Reshape(int[])"/>, leading-axis indexing) share storage because it never changes.
/// </summary>
public sealed partial class Tensor
{
    private readonly Array _storage;
    private readonly int _offset;

    private Tensor(Array storage, int offset, Shape shape)
    {
        _storage = storage;
        _offset = offset;
        Shape = shape;
        DType = storage is float[] ? DType.Float32 : DType.Float64;
    }

    /// <summary>The extent of each axis.</summary>
    public Shape Shape { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>Number of axes.</summary>
    public int Rank => Shape.Rank;

    /// <summary>Number of elements.</summary>
    public int Count => Shape.ElementCount;

    /// <summary>
    /// The elements in row-major order, read-only. <typeparamref name="T"/> must be <see cref="float"/>
    /// for <see cref="DType.Float32"/> and <see cref="double"/> for <see cref="DType.Float64"/>.
    /// </summary>
    public ReadOnlySpan<T> AsSpan<T>()
        where T : unmanaged
    {
        if (_storage is not T[] array)
            throw new InvalidOperationException($"A {DType.Name()} tensor cannot be read as {typeof(T).Name}.");
        return new ReadOnlySpan<T>(array, _offset, Count);
    }

    /// <summary>A copy of the elements as <see cref="float"/>, converting from float64 if needed.</summary>
    public float[] ToFloat32Array() => DType == DType.Float32 ? AsSpan<float>().ToArray() : To(DType.Float32).AsSpan<float>().ToArray();

    /// <summary>A copy of the elements as <see cref="double"/> (exact for float32).</summary>
    public double[] ToFloat64Array() => DType == DType.Float64 ? AsSpan<double>().ToArray() : To(DType.Float64).AsSpan<double>().ToArray();

    /// <summary>The value of a one-element tensor, like PyTorch's <c>item()</c>.</summary>
    public double Item() => Count == 1
        ? DType == DType.Float32 ? AsSpan<float>()[0] : AsSpan<double>()[0]
        : throw new InvalidOperationException($"Item() needs a tensor with one element but the shape is {Shape} ({Count} elements).");

    /// <summary>The same elements viewed with another shape; one extent may be -1 and is inferred. Free: shares storage.</summary>
    public Tensor Reshape(params int[] dims) => Reshape(InferShape(dims));

    /// <summary>The same elements viewed with another shape of the same element count. Free: shares storage.</summary>
    public Tensor Reshape(Shape shape) => shape.ElementCount == Count
        ? new Tensor(_storage, _offset, shape)
        : throw new ArgumentException($"Cannot reshape a tensor of shape {Shape} ({Count} elements) into {shape} ({shape.ElementCount} elements).", nameof(shape));

    /// <summary>The sub-tensor at <paramref name="index"/> along the first axis (negative counts from the end). Free: shares storage.</summary>
    [IndexerName("Row")]
    public Tensor this[int index]
    {
        get
        {
            var extent = LeadingExtent();
            var i = index < 0 ? index + extent : index;
            if (i < 0 || i >= extent)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Index {index} is out of range for axis 0 of a tensor of shape {Shape}.");
            var rest = Shape.DropFirst();
            return new Tensor(_storage, _offset + (i * rest.ElementCount), rest);
        }
    }

    /// <summary>The rows in <paramref name="range"/> along the first axis, like <c>x[a:b]</c>. Free: shares storage.</summary>
    [IndexerName("Row")]
    public Tensor this[Range range]
    {
        get
        {
            var extent = LeadingExtent();
            int start, length;
            try
            {
                (start, length) = range.GetOffsetAndLength(extent);
            }
            catch (ArgumentOutOfRangeException)
            {
                throw new ArgumentOutOfRangeException(nameof(range), $"Range {range} is out of range for axis 0 of a tensor of shape {Shape}.");
            }
            var rowSize = Shape.DropFirst().ElementCount;
            return new Tensor(_storage, _offset + (start * rowSize), new Shape([length, .. Shape.Dims[1..]]));
        }
    }

    /// <summary>Swaps the last two axes (PyTorch's <c>x.mT</c>); a copy.</summary>
    public Tensor Transpose()
    {
        if (Rank < 2)
            throw new InvalidOperationException($"Transpose swaps the last two axes and needs rank >= 2, but the shape is {Shape}.");
        var rows = Shape[-2];
        var cols = Shape[-1];
        var shape = new Shape([.. Shape.Dims[..^2], cols, rows]);
        return DType == DType.Float32 ? TransposeOf<float>(shape, rows, cols) : TransposeOf<double>(shape, rows, cols);
    }

    /// <summary>The elements converted to <paramref name="dtype"/> (this tensor itself when it already has that type).</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType)
            return this;
        if (dtype == DType.Float64)
        {
            var wide = GC.AllocateUninitializedArray<double>(Count);
            TensorPrimitives.ConvertChecked<float, double>(AsSpan<float>(), wide);
            return new Tensor(wide, 0, Shape);
        }
        var narrow = GC.AllocateUninitializedArray<float>(Count);
        TensorPrimitives.ConvertTruncating<double, float>(AsSpan<double>(), narrow);
        return new Tensor(narrow, 0, Shape);
    }

    /// <summary>Same shape, same dtype and the same bits in every element.</summary>
    public bool BitwiseEquals(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Shape != other.Shape || DType != other.DType)
            return false;
        return DType == DType.Float32
            ? MemoryMarshal.AsBytes(AsSpan<float>()).SequenceEqual(MemoryMarshal.AsBytes(other.AsSpan<float>()))
            : MemoryMarshal.AsBytes(AsSpan<double>()).SequenceEqual(MemoryMarshal.AsBytes(other.AsSpan<double>()));
    }

    /// <summary>Wraps storage that the caller has just filled and gives up: the one place a fresh buffer becomes a tensor.</summary>
    internal static Tensor Own<T>(T[] storage, Shape shape)
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"Tensors hold float or double, not {typeof(T).Name}.");
        if (storage.Length != shape.ElementCount)
            throw new ArgumentException($"Storage of {storage.Length} elements does not match shape {shape}.", nameof(storage));
        return new Tensor(storage, 0, shape);
    }

    /// <summary>The typed span of a tensor whose dtype the caller has already dispatched on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ReadOnlySpan<T> Span<T>()
        where T : unmanaged => new(Unsafe.As<T[]>(_storage), _offset, Count);

    private int LeadingExtent() => Rank == 0
        ? throw new InvalidOperationException("A scalar (0-d) tensor cannot be indexed; use Item().")
        : Shape[0];

    private Tensor TransposeOf<T>(Shape shape, int rows, int cols)
        where T : unmanaged
    {
        var source = Span<T>();
        var result = GC.AllocateUninitializedArray<T>(Count);
        var plane = rows * cols;
        for (var p = 0; p < Count; p += plane)
        {
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < cols; c++)
                    result[p + (c * rows) + r] = source[p + (r * cols) + c];
            }
        }
        return new Tensor(result, 0, shape);
    }

    private Shape InferShape(int[] dims)
    {
        var inferred = -1;
        long known = 1;
        for (var i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (inferred >= 0)
                    throw new ArgumentException($"Reshape of {Shape} to {Shape.Format(dims)}: only one extent can be -1.", nameof(dims));
                inferred = i;
            }
            else if (dims[i] < 0)
            {
                throw new ArgumentException($"Reshape of {Shape} to {Shape.Format(dims)}: extents must be non-negative or -1.", nameof(dims));
            }
            else
            {
                known *= dims[i];
            }
        }
        if (inferred < 0)
            return new Shape(dims);
        if (known == 0 || Count % known != 0)
            throw new ArgumentException($"Cannot reshape a tensor of shape {Shape} ({Count} elements) into {Shape.Format(dims)}: the -1 extent cannot be inferred.", nameof(dims));
        var resolved = (int[])dims.Clone();
        resolved[inferred] = (int)(Count / known);
        return new Shape(resolved);
    }
}
