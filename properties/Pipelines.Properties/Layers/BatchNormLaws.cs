using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

/// <summary>
/// BatchNorm1d on [N, C] runs a fused kernel; on [N, C, L] it composes tensor arithmetic. With L = 1 the two compute the
/// same operations in the same order, so the kernel must give the composed layer's bits: the output, the running
/// statistics it moves, the input gradient and dγ, dβ, for either dtype, with or without γ and β, at edge shapes and at
/// sizes the kernel splits by channels between threads.
/// </summary>
[Properties(MaxTest = 80)]
public sealed class BatchNormLaws
{
    [Property]
    public Property The_fused_2D_kernel_gives_the_bits_of_the_composed_layer(bool float64, bool affine) => Prop.ForAll(
        (from size in Gen.Frequency(
             (3, from rows in Gen.Elements(2, 3, 5, 7, 16, 17, 64, 65) from channels in Generators.Extent select (rows, channels)),
             (1, from rows in Gen.Elements(128, 131) from channels in Gen.Elements(515, 600) select (rows, channels)))
         from seed in Generators.Seed
         select (size.rows, size.channels, seed)).ToArbitrary(),
        c =>
        {
            var dtype = float64 ? DType.Float64 : DType.Float32;
            var k = new Key(c.seed).Split(6);
            var shape = new Shape(c.channels);
            var layer = affine
                ? new BatchNorm1d(c.channels, Tensor.Uniform(k[0], shape, 0.5, 2, dtype), Tensor.Normal(k[1], shape, dtype: dtype), Tensor.Normal(k[2], shape, dtype: dtype), Tensor.Uniform(k[3], shape, 0.5, 2, dtype), Tensor.Scalar(3, DType.Int64))
                : new BatchNorm1d(c.channels, affine: false, dtype: dtype);
            // Scaled and shifted, so the variance and the centring both matter.
            var x = (Tensor.Normal(k[4], new Shape(c.rows, c.channels), dtype: dtype) * 3) + 1.5;
            var dy = Tensor.Normal(k[5], x.Shape, dtype: dtype);
            var context = ForwardContext.Training(new Key(1));
            var flat = layer.Forward(x, context);
            var column = layer.Forward(x.Reshape(c.rows, c.channels, 1), context);
            var (dxFlat, gradientFlat) = layer.Backward(flat.Trace, dy);
            var (dxColumn, gradientColumn) = layer.Backward(column.Trace, dy.Reshape(c.rows, c.channels, 1));
            var label = $"{c.rows}×{c.channels}, {dtype.Name()}, affine={affine}, seed={c.seed}";
            if (!flat.Output.BitwiseEquals(column.Output.Reshape(c.rows, c.channels)))
                return false.Label($"{label}: outputs differ by {flat.Output.MaxAbsDifference(column.Output.Reshape(c.rows, c.channels)):E2}");
            if (!flat.Next.NamedBuffers().Tensors.Zip(column.Next.NamedBuffers().Tensors, (a, b) => a.BitwiseEquals(b)).All(same => same))
                return false.Label($"{label}: running statistics differ");
            if (!dxFlat.BitwiseEquals(dxColumn.Reshape(c.rows, c.channels)))
                return false.Label($"{label}: input gradients differ by {dxFlat.MaxAbsDifference(dxColumn.Reshape(c.rows, c.channels)):E2}");
            return (Compare.ParametersBitwise(gradientFlat, gradientColumn) is not { } difference).Label($"{label}: {Compare.ParametersBitwise(gradientFlat, gradientColumn)}");
        });
}
