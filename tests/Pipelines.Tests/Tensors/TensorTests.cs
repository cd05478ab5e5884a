using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Tensors;

public sealed class TensorTests
{
    private static readonly Tensor Matrix = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });

    [Fact]
    public void Factories_copy_their_input_so_later_writes_do_not_reach_the_tensor()
    {
        var data = new float[] { 1, 2, 3, 4 };
        var t = Tensor.FromArray(data, 2, 2);
        data[0] = 99;
        Assert.Equal(1f, t.AsSpan<float>()[0]);
    }

    /// <summary>Values PyTorch 1.13 printed for <c>torch.argmax</c> on the same tensors.</summary>
    [Fact]
    public void ArgMax_takes_the_first_maximum_and_the_first_NaN_as_PyTorch_does()
    {
        var x = Tensor.FromArray(new float[] { 1, 7, 7, -1, float.NaN, 3, float.NaN, 2, -0f, 0f, 5, 5 }, 2, 2, 3);
        Assert.Equal(new long[] { 1, 1, 0, 1 }, x.ArgMax().ToInt64Array());
        Assert.Equal(new Shape(2, 2), x.ArgMax().Shape);
        Assert.Equal(new long[] { 0, 1, 0, 0, 1, 1 }, x.ArgMax(axis: 1).ToInt64Array());
        Assert.Equal(new long[] { 1, 0, 0, 1, 0, 1 }, x.ArgMax(axis: 0).ToInt64Array());
        Assert.Equal(0L, Tensor.FromArray(new float[] { -0f, 0f }, 2).ArgMax().ToInt64Array()[0]);
        Assert.Equal(new Shape(2, 1, 3), x.ArgMax(axis: 1, keepDim: true).Shape);
        Assert.Equal(DType.Int64, x.To(DType.Float64).ArgMax().DType);
        Assert.Equal(x.ArgMax().ToInt64Array(), x.To(DType.Float64).ArgMax().ToInt64Array());
        Assert.Equal(Shape.Scalar, Tensor.FromArray(new float[] { 2, 9, 4 }, 3).ArgMax().Shape);
        Assert.Equal(new Shape(0), Tensor.Zeros(new Shape(0, 4)).ArgMax().Shape);
    }

    [Fact]
    public void ArgMax_over_an_empty_axis_or_of_integers_is_an_error()
    {
        var empty = Assert.Throws<ArgumentException>(() => Tensor.Zeros(new Shape(3, 0)).ArgMax());
        Assert.Contains("[3, 0]", empty.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => Tensor.FromArray(new long[] { 1, 2 }, 2).ArgMax());
    }

    [Fact]
    public void Factories_fill_as_PyTorch_does()
    {
        Assert.Equal(new float[] { 0, 0, 0 }, Tensor.Zeros(new Shape(3)).ToFloat32Array());
        Assert.Equal(new double[] { 1, 1 }, Tensor.Ones(new Shape(2), DType.Float64).ToFloat64Array());
        Assert.Equal(new float[] { 2.5f, 2.5f }, Tensor.Full(new Shape(1, 2), 2.5).ToFloat32Array());
        Assert.Equal(new float[] { 0, 1, 2, 3 }, Tensor.Arange(4).ToFloat32Array());
        Assert.Equal(new double[] { 1, 1.5, 2, 2.5 }, Tensor.Arange(1, 3, 0.5, DType.Float64).ToFloat64Array());
        Assert.Equal(new float[] { 5, 3 }, Tensor.Arange(5, 1, -2).ToFloat32Array());
        Assert.Equal(0, Tensor.Arange(3, 3).Count);
        Assert.Equal(Shape.Scalar, Tensor.Scalar(3).Shape);
    }

    [Fact]
    public void Wrong_element_counts_are_rejected_with_both_numbers()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], 2, 3));
        Assert.Contains("5 values", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3] (6 elements)", e.Message, StringComparison.Ordinal);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => new Shape(2, -1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reshape_shares_storage_and_infers_one_extent()
    {
        var r = Matrix.Reshape(3, -1);
        Assert.Equal(new Shape(3, 2), r.Shape);
        Assert.Equal(Matrix.ToFloat32Array(), r.ToFloat32Array());
        Assert.Equal(new Shape(0, 4), Tensor.Zeros(new Shape(0, 4)).Reshape(0, 4).Shape);
    }

    [Fact]
    public void Reshape_errors_say_what_was_asked_and_why_it_cannot_be()
    {
        Assert.Contains("[2, 3] (6 elements) into [4, 2] (8 elements)", Assert.Throws<ArgumentException>(() => Matrix.Reshape(4, 2)).Message, StringComparison.Ordinal);
        Assert.Contains("only one extent can be -1", Assert.Throws<ArgumentException>(() => Matrix.Reshape(-1, -1)).Message, StringComparison.Ordinal);
        Assert.Contains("cannot be inferred", Assert.Throws<ArgumentException>(() => Matrix.Reshape(4, -1)).Message, StringComparison.Ordinal);
        Assert.Contains("cannot be inferred", Assert.Throws<ArgumentException>(() => Tensor.Zeros(new Shape(0, 3)).Reshape(0, -1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Indexing_and_slicing_the_leading_axis_give_views()
    {
        Assert.Equal(new float[] { 4, 5, 6 }, Matrix[1].ToFloat32Array());
        Assert.Equal(new float[] { 4, 5, 6 }, Matrix[-1].ToFloat32Array());
        Assert.Equal(2.0, Matrix[0][1].Item());
        Assert.Equal(new Shape(1, 3), Matrix[1..].Shape);
        Assert.Equal(new Shape(0, 3), Matrix[2..].Shape);
        Assert.Contains("Index 2 is out of range for axis 0 of a tensor of shape [2, 3]", Assert.Throws<ArgumentOutOfRangeException>(() => Matrix[2]).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Matrix[1..5]);
        Assert.Contains("Item() needs a tensor with one element", Assert.Throws<InvalidOperationException>(() => Matrix.Item()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Concat_narrow_and_index_select()
    {
        Assert.Equal(new float[] { 1, 2, 3, 9, 4, 5, 6, 9 }, Tensor.Concat([Matrix, Tensor.Full(new Shape(2, 1), 9)]).ToFloat32Array());
        Assert.Equal(new Shape(4, 3), Tensor.Concat([Matrix, Matrix], axis: 0).Shape);
        Assert.Equal(new float[] { 2, 3, 5, 6 }, Matrix.Narrow(-1, 1, 2).ToFloat32Array());
        Assert.Equal(new float[] { 4, 5, 6, 1, 2, 3, 4, 5, 6 }, Matrix.IndexSelect([1, 0, 1]).ToFloat32Array());
        Assert.Contains("Index 2 (position 1) is out of range", Assert.Throws<ArgumentOutOfRangeException>(() => Matrix.IndexSelect([0, 2])).Message, StringComparison.Ordinal);
        Assert.Contains("equal extents elsewhere", Assert.Throws<ArgumentException>(() => Tensor.Concat([Matrix, Tensor.Zeros(new Shape(3, 1))])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Matrix.Narrow(1, 2, 2));
    }

    [Fact]
    public void Transpose_swaps_the_last_two_axes_of_every_matrix_in_a_batch()
    {
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, Matrix.Transpose().ToFloat32Array());
        var batch = Tensor.Arange(12).Reshape(2, 2, 3);
        var t = batch.Transpose();
        Assert.Equal(new Shape(2, 3, 2), t.Shape);
        Assert.Equal(new float[] { 6, 9, 7, 10, 8, 11 }, t[1].ToFloat32Array());
        Assert.Throws<InvalidOperationException>(() => Tensor.Arange(3).Transpose());
    }

    [Fact]
    public void Arithmetic_broadcasts_like_NumPy()
    {
        var row = Tensor.FromArray(new float[] { 10, 20, 30 });
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, (Matrix + row).ToFloat32Array());
        var column = Tensor.FromArray(new float[] { 1, 2 }, 2, 1);
        Assert.Equal(new float[] { 0, 1, 2, 2, 3, 4 }, (Matrix - column).ToFloat32Array());
        Assert.Equal(new Shape(2, 2, 3), (Tensor.Ones(new Shape(2, 1, 3)) * Tensor.Ones(new Shape(2, 1))).Shape);
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2, 2.5f, 3 }, (Matrix / 2).ToFloat32Array());
        Assert.Equal(new float[] { -1, -2, -3, -4, -5, -6 }, (-Matrix).ToFloat32Array());
        Assert.Equal(new float[] { 3, 5, 7, 9, 11, 13 }, ((2 * Matrix) + 1).ToFloat32Array());
    }

    [Fact]
    public void Broadcast_and_dtype_errors_name_both_operands()
    {
        var e = Assert.Throws<ArgumentException>(() => Matrix + Tensor.Ones(new Shape(2)));
        Assert.Contains("[2, 3] and [2]", e.Message, StringComparison.Ordinal);
        Assert.Contains("float32 tensor and a float64", Assert.Throws<ArgumentException>(() => Matrix + Matrix.To(DType.Float64)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reductions_match_PyTorch()
    {
        Assert.Equal(21.0, Matrix.Sum().Item());
        Assert.Equal(3.5, Matrix.Mean().Item());
        Assert.Equal(new float[] { 5, 7, 9 }, Matrix.Sum(0).ToFloat32Array());
        Assert.Equal(new float[] { 2, 5 }, Matrix.Mean(-1).ToFloat32Array());
        Assert.Equal(new Shape(2, 1), Matrix.Sum(1, keepDim: true).Shape);
        Assert.Equal(6.0, Matrix.Max().Item());
        Assert.Equal(1.0, Matrix.Min().Item());
        Assert.True(double.IsNaN(Tensor.FromArray(new float[] { 1, float.NaN, 3 }).Max().Item()));
        Assert.Equal(new float[] { 0, 0, 0 }, Tensor.Zeros(new Shape(0, 3)).Sum(0).ToFloat32Array());
        Assert.Throws<ArgumentOutOfRangeException>(() => Matrix.Sum(2));
    }

    [Fact]
    public void Element_wise_functions_and_conversion()
    {
        var x = Tensor.FromArray(new double[] { -1, 0, 4 });
        Assert.Equal(new double[] { 1, 0, 4 }, x.Abs().ToFloat64Array());
        Assert.Equal(new double[] { 2 }, Tensor.FromArray(new double[] { 4 }).Sqrt().ToFloat64Array());
        Assert.Equal(Math.E, Tensor.FromArray(new double[] { 1 }).Exp().Item(), 15);
        Assert.Equal(0.0, Tensor.FromArray(new double[] { 1 }).Log().Item());
        Assert.Equal(Math.Tanh(0.5), Tensor.FromArray(new double[] { 0.5 }).Tanh().Item(), 15);
        Assert.Equal(DType.Float32, x.To(DType.Float32).DType);
        Assert.Same(x, x.To(DType.Float64));
        Assert.Throws<InvalidOperationException>(() => x.AsSpan<float>());
    }

    [Fact]
    public void Bitwise_equality_compares_bits_shape_and_dtype()
    {
        Assert.True(Matrix.BitwiseEquals(Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3)));
        Assert.False(Matrix.BitwiseEquals(Matrix.Reshape(3, 2)));
        Assert.False(Matrix.BitwiseEquals(Matrix.To(DType.Float64)));
        Assert.False(Tensor.FromArray(new float[] { 0f }).BitwiseEquals(Tensor.FromArray(new float[] { -0f })));
    }

    [Fact]
    public void AllClose_follows_torch_allclose()
    {
        var a = Tensor.FromArray(new double[] { 1, 100, float.PositiveInfinity });
        Assert.True(a.AllClose(Tensor.FromArray(new double[] { 1 + 1e-9, 100.0005, float.PositiveInfinity })));
        Assert.False(a.AllClose(Tensor.FromArray(new double[] { 1.001, 100, float.PositiveInfinity })));
        Assert.False(a.AllClose(Tensor.FromArray(new double[] { 1, 100, float.NegativeInfinity })));
        Assert.True(a.AllClose(a.To(DType.Float32)));
        Assert.False(a.AllClose(a.Reshape(3, 1)));
        var nan = Tensor.FromArray(new float[] { float.NaN });
        Assert.False(nan.AllClose(nan));
        Assert.True(nan.AllClose(nan, equalNaN: true));
        Assert.Equal(0.5, Matrix.MaxAbsDifference(Matrix + 0.5));
        Assert.Throws<ArgumentException>(() => Matrix.MaxAbsDifference(Matrix.Reshape(3, 2)));
    }

    [Theory]
    [InlineData(new float[] { 1, 2, 3 }, new[] { 3 }, "tensor([1., 2., 3.])")]
    [InlineData(new float[] { 1.5f, 2, 3 }, new[] { 3 }, "tensor([1.5000, 2.0000, 3.0000])")]
    [InlineData(new float[] { 1, 2, 3, 4 }, new[] { 2, 2 }, "tensor([[1., 2.],\n        [3., 4.]])")]
    [InlineData(new float[] { 0.00001f, 1 }, new[] { 2 }, "tensor([1.0000e-05, 1.0000e+00])")]
    [InlineData(new float[] { -1.25f, 10 }, new[] { 2 }, "tensor([-1.2500, 10.0000])")]
    [InlineData(new float[] { float.NaN, 1, float.NegativeInfinity }, new[] { 3 }, "tensor([nan, 1., -inf])")]
    [InlineData(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, new[] { 2, 2, 2 }, "tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]])")]
    [InlineData(new float[] { 3 }, new int[0], "tensor(3.)")]
    [InlineData(new float[] { 0, -0.5f, 2 }, new[] { 3 }, "tensor([ 0.0000, -0.5000,  2.0000])")]
    [InlineData(new float[0], new[] { 0 }, "tensor([])")]
    [InlineData(new float[0], new[] { 0, 10 }, "tensor([], size=(0, 10))")]
    public void Printing_looks_like_PyTorch(float[] values, int[] dims, string expected) =>
        Assert.Equal(expected, Tensor.FromSpan(values, new Shape(dims)).ToString());

    [Fact]
    public void Long_rows_wrap_at_80_columns_like_PyTorch() =>
        Assert.Equal(
            "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n" +
            "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n" +
            "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n" +
            "        3.8571, 4.0000, 4.1429])",
            (Tensor.Arange(30) / 7).ToString());

    [Fact]
    public void Float64_printing_names_the_dtype_and_large_tensors_are_summarised()
    {
        Assert.Equal("tensor([0.5000, 1.0000], dtype=torch.float64)", Tensor.FromArray(new double[] { 0.5, 1 }).ToString());
        Assert.Equal("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])", Tensor.Arange(2000).ToString());
        Assert.Equal("tensor([ 500.,  501.,  502.,  ..., 1498., 1499., 1500.])", Tensor.Arange(500, 1501).ToString());
        Assert.Equal(
            "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.9700e+02, 9.9800e+02,\n         9.9900e+02],\n" +
            "        [1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03]])",
            Tensor.Arange(2000).Reshape(2, 1000).ToString());
    }
}
