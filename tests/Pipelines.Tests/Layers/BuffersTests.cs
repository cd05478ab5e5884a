using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Layers;

/// <summary>Buffers as a user handles them: running statistics reset by name with MapBuffers, the parameters untouched.</summary>
public sealed class BuffersTests
{
    [Fact]
    public void MapBuffers_resets_running_statistics_and_leaves_the_parameters_as_they_are()
    {
        Layer model = new Linear(new Key(1), 4, 3) >> new BatchNorm1d(3);
        model = model.Forward(Tensor.Normal(new Key(2), new Shape(8, 4)), ForwardContext.Training(new Key(3))).Next;
        Assert.NotEqual([0f, 0f, 0f], model.NamedBuffers()["1.running_mean"].ToFloat32Array());

        var reset = model.MapBuffers((name, b) => name.EndsWith("running_var", StringComparison.Ordinal) ? Tensor.Ones(b.Shape, b.DType) : Tensor.Zeros(b.Shape, b.DType));

        Assert.Equal([0f, 0f, 0f], reset.NamedBuffers()["1.running_mean"].ToFloat32Array());
        Assert.Equal([1f, 1f, 1f], reset.NamedBuffers()["1.running_var"].ToFloat32Array());
        Assert.Equal(0, reset.NamedBuffers()["1.num_batches_tracked"].Item<long>());
        Assert.All(model.NamedParameters().Tensors.Zip(reset.NamedParameters().Tensors), pair => Assert.Same(pair.First, pair.Second));
        Assert.IsType<Chain>(reset);
    }
}
