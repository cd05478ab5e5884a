using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Kernels;

/// <summary>Donated arrays: each comes back once, for its own type and length; a donated tensor cannot be read again; poisoning shows a stale view.</summary>
public sealed class DonatedArraysTests
{
    private const int Large = 1 << 16;

    [Fact]
    public void A_donated_array_is_handed_out_once_and_only_for_its_type_and_length()
    {
        var spent = Tensor.Zeros(new Shape(Large));
        var donated = new DonatedArrays([spent, spent], poison: false);
        Assert.NotSame(spent.Storage, donated.Uninitialized<double>(Large));
        Assert.NotSame(spent.Storage, donated.Uninitialized<float>(Large - 1));
        Assert.Same(spent.Storage, donated.Uninitialized<float>(Large));
        Assert.NotSame(spent.Storage, donated.Uninitialized<float>(Large));
    }

    [Fact]
    public void Small_arrays_and_views_are_left_to_the_allocator()
    {
        var small = Tensor.Zeros(new Shape(16));
        var whole = Tensor.Zeros(new Shape(2, Large));
        var donated = new DonatedArrays([small, whole[0]], poison: false);
        Assert.NotSame(small.Storage, donated.Uninitialized<float>(16));
        Assert.NotSame(whole.Storage, donated.Uninitialized<float>(Large));
    }

    [Fact]
    public void A_donated_tensor_throws_when_read_or_viewed()
    {
        var spent = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        _ = new DonatedArrays([spent], poison: false);
        foreach (var read in new Action[] { () => spent.AsSpan<float>(), () => spent.Reshape(4), () => _ = spent[0], () => spent.ToFloat32Array(), () => _ = spent + spent })
        {
            var error = Assert.Throws<InvalidOperationException>(read);
            Assert.Contains("given up", error.Message);
            Assert.Contains("[2, 2]", error.Message);
        }
    }

    [Fact]
    public void Poisoning_fills_the_array_with_NaN_so_a_view_made_before_reads_NaN()
    {
        var spent = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var view = spent[1];
        _ = new DonatedArrays([spent], poison: true);
        Assert.All(view.ToFloat32Array(), value => Assert.True(float.IsNaN(value)));
    }

    /// <summary>The public weight gradient allocates; only a pass handed a donation writes into the donated arrays, and the values are the same.</summary>
    [Fact]
    public void Only_a_pass_given_a_donation_writes_its_weight_gradient_into_it()
    {
        var linear = new Linear(new Key(1), 256, 128);
        var x = Tensor.Normal(new Key(2), new Shape(8, 256));
        var dy = Tensor.Normal(new Key(3), new Shape(8, 128));
        var spent = Tensor.Zeros(new Shape(128, 256));
        var donated = new DonatedArrays([spent], poison: true);
        var plain = Linear.WeightGradient(dy, x);
        Assert.NotSame(spent.Storage, plain.Storage);
        var traced = linear.Forward(x, ForwardContext.Training(new Key(4)) with { Donated = donated });
        var gradient = (Linear)linear.Backward(traced.Trace, dy).Gradient;
        Assert.Same(spent.Storage, gradient.Weight.Storage);
        Assert.True(gradient.Weight.BitwiseEquals(plain));
    }
}
