using Pipelines.Kernels.Gemm;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Kernels;

public sealed class PackedWeightsTests
{
    /// <summary>
    /// A weight used as often as a training step uses it (once per micro-batch in each direction) gets no packed copy:
    /// each would be pinned memory made every step, which only gen-2 collections free.
    /// </summary>
    [Fact]
    public void A_weight_is_packed_only_from_its_eighth_use_in_one_direction()
    {
        var weight = Tensor.Normal(new Key(1), new Shape(48, 40));
        for (var use = 1; use < PackedWeights.KeepFromUse; use++)
        {
            Assert.Null(PackedWeights.For<float>(weight, transposed: true, VectorWidth.Vector256));
            Assert.Null(PackedWeights.For<float>(weight, transposed: false, VectorWidth.Vector256));
        }
        var packed = PackedWeights.For<float>(weight, transposed: true, VectorWidth.Vector256);
        Assert.NotNull(packed);
        Assert.Same(packed, PackedWeights.For<float>(weight, transposed: true, VectorWidth.Vector256));
        Assert.NotNull(PackedWeights.For<float>(weight, transposed: false, VectorWidth.Vector256));
    }

    /// <summary>The two directions count apart: a weight's many forward products do not pack it for the input gradient.</summary>
    [Fact]
    public void Uses_in_one_direction_do_not_count_for_the_other()
    {
        var weight = Tensor.Normal(new Key(2), new Shape(16, 24));
        for (var use = 0; use < 3 * PackedWeights.KeepFromUse; use++)
            PackedWeights.For<float>(weight, transposed: true, VectorWidth.Vector256);
        Assert.Null(PackedWeights.For<float>(weight, transposed: false, VectorWidth.Vector256));
    }
}
