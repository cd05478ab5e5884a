using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipelines.Tensors;

/// <summary>
/// An immutable n-dimensional array of <see cref="DType.Float32"/>, <see cref="DType.Float64"/> or
/// <see cref="DType.Int64"/> elements in contiguous row-major order. Factories copy what they are given, operations
/// write into fresh storage, and views (<see cref="Reshape(int[])"/>, leading-axis indexing) share storage.
/// </summary>
/// <remarks>
/// <para>Who writes a tensor's storage, and when: the code that allocates the array fills it before
/// <c>Tensor.Own</c> makes it a tensor, and nothing writes it afterwards, with one exception. A tensor's owner may give
/// it up: the training graph gives up the parameters and optimizer moments its own previous step made (never the model
/// it was handed, the best model it keeps or the one it returns) for Adam's step to be written over, and the micro-batch
/// gradients of a finished step for the next step's weight gradients (<c>DonatedArrays</c>, passed explicitly through
/// the forward context). A given-up tensor is marked, and reading it, or viewing it, throws from then on; its array
/// becomes a new tensor's storage, and the new tensor is a new object.</para>
/// <para>That last point keeps the packed-weight cache valid: packings are kept per tensor object, and a tensor object's
/// elements never change while anyone can read it. So a layer must not keep the gradients its backward returns, and a
/// step written over its inputs must return new tensor objects; both fail loudly when broken.</para>
/// <para>No ambient state reaches a kernel: the one setting the kernels read is <c>ThreadBudget.MaxThreads</c>, a
/// process-wide thread count, which never changes a bit.</para>
/// </remarks>
public sealed partial class Tensor
{
    private readonly Array _storage;
    private readonly int _offset;

    /// <summary>Set once when the owner gives the tensor up (<see cref="Donate"/>); the storage may be rewritten after.</summary>
    private bool _donated;

    private Tensor(Array storage, int offset, Shape shape)
    {
        _storage = storage;
        _offset = offset;
        Shape = shape;
        DType = storage switch
        {
            float[] => DType.Float32,
            double[] => DType.Float64,
            _ => DType.Int64,
        };
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
    /// The elements in row-major order, read-only. <typeparamref name="T"/> must be <see cref="float"/> for
    /// <see cref="DType.Float32"/>, <see cref="double"/> for <see cref="DType.Float64"/> and <see cref="long"/> for <see cref="DType.Int64"/>.
    /// </summary>
    /// <typeparam name="T">The element type the storage holds.</typeparam>
    public ReadOnlySpan<T> AsSpan<T>()
        where T : unmanaged
    {
        if (_storage is not T[] array)
            throw new InvalidOperationException($"A {DType.Name()} tensor cannot be read as {typeof(T).Name}.");
        RequireNotDonated();
        return new ReadOnlySpan<T>(array, _offset, Count);
    }

    /// <summary>A copy of the elements as <see cref="float"/>, converting if needed.</summary>
    public float[] ToFloat32Array() => To(DType.Float32).AsSpan<float>().ToArray();

    /// <summary>A copy of the elements as <see cref="double"/> (exact for float32, and for int64 up to 2⁵³).</summary>
    public double[] ToFloat64Array() => To(DType.Float64).AsSpan<double>().ToArray();

    /// <summary>A copy of the elements of an int64 tensor.</summary>
    public long[] ToInt64Array() => DType == DType.Int64
        ? AsSpan<long>().ToArray()
        : throw new InvalidOperationException($"ToInt64Array needs an int64 tensor but this one is {DType.Name()}; convert it with To(DType.Int64), which truncates toward zero.");

    /// <summary>The value of a one-element tensor as a double, like PyTorch's <c>item()</c>.</summary>
    public double Item() => Count == 1
        ? DType switch
        {
            DType.Float32 => AsSpan<float>()[0],
            DType.Float64 => AsSpan<double>()[0],
            _ => AsSpan<long>()[0],
        }
        : throw new InvalidOperationException($"Item() needs a tensor with one element but the shape is {Shape} ({Count} elements).");

    /// <summary>The value of a one-element tensor exactly as stored (<see cref="long"/> for int64).</summary>
    /// <typeparam name="T">The element type the storage holds.</typeparam>
    public T Item<T>()
        where T : unmanaged => Count == 1
        ? AsSpan<T>()[0]
        : throw new InvalidOperationException($"Item() needs a tensor with one element but the shape is {Shape} ({Count} elements).");

    /// <summary>The same elements viewed with another shape; one extent may be -1 and is inferred. Free: shares storage.</summary>
    /// <param name="dims">The new extents, one of which may be -1.</param>
    public Tensor Reshape(params int[] dims) => Reshape(InferShape(dims));

    /// <summary>The same elements viewed with another shape of the same element count. Free: shares storage.</summary>
    /// <param name="shape">The new shape.</param>
    public Tensor Reshape(Shape shape) => shape.ElementCount == Count
        ? View(_offset, shape)
        : throw new ArgumentException($"Cannot reshape a tensor of shape {Shape} ({Count} elements) into {shape} ({shape.ElementCount} elements).", nameof(shape));

    /// <summary>The sub-tensor at <paramref name="index"/> along the first axis (negative counts from the end). Free: shares storage.</summary>
    /// <param name="index">The position along axis 0.</param>
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
            return View(_offset + (i * rest.ElementCount), rest);
        }
    }

    /// <summary>The rows in <paramref name="range"/> along the first axis, like <c>x[a:b]</c>. Free: shares storage.</summary>
    /// <param name="range">The rows along axis 0.</param>
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
            return View(_offset + (start * rowSize), new Shape([length, .. Shape.Dims[1..]]));
        }
    }

    /// <summary>Swaps the last two axes (PyTorch's <c>x.mT</c>); a copy.</summary>
    public Tensor Transpose()
    {
        if (Rank < 2)
            throw new InvalidOperationException($"Transpose swaps the last two axes and needs rank >= 2, but the shape is {Shape}.");
        var (rows, cols) = (Shape[-2], Shape[-1]);
        var shape = new Shape([.. Shape.Dims[..^2], cols, rows]);
        return DType switch
        {
            DType.Float32 => TransposeOf<float>(shape, rows, cols),
            DType.Float64 => TransposeOf<double>(shape, rows, cols),
            _ => TransposeOf<long>(shape, rows, cols),
        };
    }

    /// <summary>
    /// The elements converted to <paramref name="dtype"/> (this tensor itself when it already has that type). Float to
    /// float rounds to nearest; int64 to float rounds to nearest; float to int64 truncates toward zero, like PyTorch's
    /// <c>.long()</c>, and refuses NaN, infinities and values outside the int64 range.
    /// </summary>
    /// <param name="dtype">The element type of the result.</param>
    public Tensor To(DType dtype)
    {
        if (dtype == DType)
            return this;
        return (DType, dtype) switch
        {
            (DType.Float32, DType.Float64) => Converted<float, double>(static (s, d) => TensorPrimitives.ConvertChecked(s, d)),
            (DType.Float64, DType.Float32) => Converted<double, float>(static (s, d) => TensorPrimitives.ConvertTruncating(s, d)),
            (DType.Int64, DType.Float32) => Converted<long, float>(static (s, d) => TensorPrimitives.ConvertTruncating(s, d)),
            (DType.Int64, DType.Float64) => Converted<long, double>(static (s, d) => TensorPrimitives.ConvertTruncating(s, d)),
            (DType.Float32, _) => To(DType.Float64).To(DType.Int64),
            (DType.Float64, _) => Converted<double, long>(TruncateToInt64),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
        };
    }

    /// <summary>Same shape, same dtype and the same bits in every element.</summary>
    /// <param name="other">The tensor to compare with.</param>
    public bool BitwiseEquals(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Shape != other.Shape || DType != other.DType)
            return false;
        return DType switch
        {
            DType.Float32 => MemoryMarshal.Cast<float, int>(Span<float>()).SequenceEqual(MemoryMarshal.Cast<float, int>(other.Span<float>())),
            DType.Float64 => MemoryMarshal.Cast<double, long>(Span<double>()).SequenceEqual(MemoryMarshal.Cast<double, long>(other.Span<double>())),
            _ => Span<long>().SequenceEqual(other.Span<long>()),
        };
    }

    /// <summary>Wraps storage that the caller has just filled and gives up: the one place a fresh buffer becomes a tensor.</summary>
    internal static Tensor Own<T>(T[] storage, Shape shape)
        where T : unmanaged
    {
        _ = DTypeExtensions.Of<T>();
        if (storage.Length != shape.ElementCount)
            throw new ArgumentException($"Storage of {storage.Length} elements does not match shape {shape}.", nameof(storage));
        return new Tensor(storage, 0, shape);
    }

    /// <summary>The array behind this tensor, which views share with the tensor they view.</summary>
    internal Array Storage => _storage;

    /// <summary>
    /// Whether this tensor is the whole of its array: a caller that owns such a tensor outright and gives it up (a training
    /// loop's previous parameters and moments) may make the array a new tensor's storage.
    /// </summary>
    internal bool IsWholeStorage => _offset == 0 && _storage.Length == Count;

    /// <summary>The typed span of a tensor whose dtype the caller has dispatched on; the storage type and the donation mark are still checked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ReadOnlySpan<T> Span<T>()
        where T : unmanaged
    {
        if (_storage.GetType() != typeof(T[]))
            throw new InvalidOperationException($"A {DType.Name()} tensor cannot be read as {typeof(T).Name}.");
        RequireNotDonated();
        return new(Unsafe.As<T[]>(_storage), _offset, Count);
    }

    /// <summary>
    /// Marks the tensor given up by its owner, who will let its array be written over: from now on reading or viewing it
    /// throws. Only <c>DonatedArrays</c> and a step written over its inputs call this, on tensors they own outright.
    /// </summary>
    internal void Donate() => _donated = true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RequireNotDonated()
    {
        if (_donated)
            throw Donated();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private InvalidOperationException Donated() => new(
        $"This {DType.Name()} tensor {Shape} was given up to the training step after the one that made it, which may have written over its storage: "
        + "a layer must not keep the gradients its backward returns, and a step written over its inputs must return new tensors.");

    private Tensor View(int offset, Shape shape)
    {
        RequireNotDonated();
        return new Tensor(_storage, offset, shape);
    }

    /// <summary>Throws naming <paramref name="operation"/> unless the tensor holds floats: integer tensors carry indices and counts, not values to compute with.</summary>
    internal void RequireFloatingPoint(string operation)
    {
        if (!DType.IsFloatingPoint())
            throw new InvalidOperationException($"{operation} needs a float32 or float64 tensor but got {DType.Name()} {Shape}; convert it with To(DType.Float32).");
    }

    private static void TruncateToInt64(ReadOnlySpan<double> source, Span<long> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            var v = source[i];
            if (!(v >= -9.2233720368547758e18 && v < 9.2233720368547758e18))
                throw new InvalidOperationException($"Element {i} is {v}, which has no int64 value.");
            destination[i] = (long)v;
        }
    }

    private Tensor Converted<TFrom, TTo>(ConvertSpan<TFrom, TTo> convert)
        where TFrom : unmanaged
        where TTo : unmanaged
    {
        var result = GC.AllocateUninitializedArray<TTo>(Count);
        convert(Span<TFrom>(), result);
        return new Tensor(result, 0, Shape);
    }

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
            Transposition.Transpose(source.Slice(p, plane), rows, cols, cols, result.AsSpan(p, plane), rows);
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

    private delegate void ConvertSpan<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination);
}
