namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    /// <summary>1 where <paramref name="a"/> is greater than <paramref name="b"/> and 0 elsewhere, in their dtype, like <c>(a &gt; b).to(a.dtype)</c>; they broadcast.</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other, of the same dtype.</param>
    public static Tensor Greater(Tensor a, Tensor b) => Compare(a, b, static c => c > 0, "Greater");

    /// <summary>1 where <paramref name="a"/> is less than <paramref name="b"/> and 0 elsewhere, like <c>(a &lt; b).to(a.dtype)</c>.</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other, of the same dtype.</param>
    public static Tensor Less(Tensor a, Tensor b) => Compare(a, b, static c => c < 0, "Less");

    /// <summary>1 where <paramref name="a"/> equals <paramref name="b"/> and 0 elsewhere, like <c>(a == b).to(a.dtype)</c> (NaN equals nothing).</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other, of the same dtype.</param>
    public static Tensor EqualTo(Tensor a, Tensor b) => Compare(a, b, static c => c == 0, "EqualTo");

    /// <summary>The sign of each element, -1, 0 or 1 (NaN stays NaN), like <c>torch.sign</c>.</summary>
    public Tensor Sign()
    {
        RequireFloatingPoint("sign");
        return DType == DType.Float32 ? new Tensor(SignOf(Span<float>()), 0, Shape) : new Tensor(SignOf(Span<double>()), 0, Shape);
    }

    private static T[] SignOf<T>(ReadOnlySpan<T> x)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var result = GC.AllocateUninitializedArray<T>(x.Length);
        // Zeros and NaN are their own sign.
        for (var i = 0; i < result.Length; i++)
            result[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : x[i];
        return result;
    }

    private static Tensor Compare(Tensor a, Tensor b, Func<int, bool> holds, string name)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        a.RequireFloatingPoint(name);
        if (a.DType != b.DType)
            throw new ArgumentException($"{name} needs operands of one dtype but got {a.DType.Name()} and {b.DType.Name()}; convert one with To().");
        var shape = BroadcastShapes(a.Shape, b.Shape);
        var (x, y) = (a.BroadcastTo(shape), b.BroadcastTo(shape));
        if (a.DType == DType.Float32)
            return new Tensor(CompareOf(x.Span<float>(), y.Span<float>(), holds), 0, shape);
        return new Tensor(CompareOf(x.Span<double>(), y.Span<double>(), holds), 0, shape);
    }

    private static T[] CompareOf<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Func<int, bool> holds)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var result = GC.AllocateUninitializedArray<T>(x.Length);
        for (var i = 0; i < result.Length; i++)
        {
            // An unordered pair (a NaN) satisfies no comparison.
            var ordered = !T.IsNaN(x[i]) && !T.IsNaN(y[i]);
            result[i] = ordered && holds(x[i] < y[i] ? -1 : x[i] > y[i] ? 1 : 0) ? T.One : T.Zero;
        }
        return result;
    }
}
