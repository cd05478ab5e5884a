using Pipelines.Layers;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Optim;

/// <summary>Clipping by value as <c>clip_grad_value_</c> does it: on a gradient by hand, and as a transformation in a chain.</summary>
public sealed class ClipByValueTests
{
    private static Linear Gradient() => new(Tensor.FromArray([-3f, 0.5f, 2f, float.NaN], 1, 4), Tensor.FromArray([-0.25f], 1));

    [Fact]
    public void Clip_GradValue_clamps_every_element_and_keeps_NaN()
    {
        var clipped = Clip.GradValue(Gradient(), 1);
        Assert.Equal([-1f, 0.5f, 1f, float.NaN], clipped.Weight.ToFloat32Array());
        Assert.Equal([-0.25f], clipped.Bias!.ToFloat32Array());
    }

    [Fact]
    public void ClipByValue_chained_before_SGD_steps_by_the_clamped_gradient()
    {
        var model = new Linear(Tensor.Zeros(new Shape(1, 4)), Tensor.Zeros(new Shape(1)));
        var optimizer = Optimizers.Chain(Optimizers.ClipByValue(1), Optimizers.Sgd(1));
        var (stepped, _) = optimizer.Step(model, Gradient(), optimizer.Init(model));
        Assert.Equal([1f, -0.5f, -1f, float.NaN], stepped.Weight.ToFloat32Array());
        Assert.Equal([0.25f], stepped.Bias!.ToFloat32Array());
    }

    [Fact]
    public void A_negative_bound_is_an_error_that_gives_it()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.ClipByValue(-1));
        Assert.Equal(-1.0, error.ActualValue);
        Assert.Throws<ArgumentOutOfRangeException>(() => Clip.GradValue(Gradient(), double.NaN));
    }
}
