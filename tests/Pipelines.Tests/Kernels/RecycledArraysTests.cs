using Pipelines.Kernels;
using Xunit;

namespace Pipelines.Tests.Kernels;

/// <summary>The trainer's pool of spent gradient arrays: each given array comes back once, only inside a scope, only for its own type and length.</summary>
public sealed class RecycledArraysTests
{
    private const int Large = 1 << 16;

    [Fact]
    public void A_given_array_is_handed_out_once_inside_a_scope_and_never_outside()
    {
        var pool = new RecycledArrays();
        var spent = new float[Large];
        pool.Give([spent, spent]);
        Assert.NotSame(spent, RecycledArrays.Uninitialized<float>(Large));
        using (RecycledArrays.Use(pool))
        {
            Assert.NotSame(spent, RecycledArrays.Uninitialized<double>(Large));
            Assert.NotSame(spent, RecycledArrays.Uninitialized<float>(Large - 1));
            Assert.Same(spent, RecycledArrays.Uninitialized<float>(Large));
            Assert.NotSame(spent, RecycledArrays.Uninitialized<float>(Large));
        }
    }

    [Fact]
    public void Small_arrays_are_left_to_the_allocator()
    {
        var pool = new RecycledArrays();
        var small = new float[16];
        pool.Give([small]);
        using var scope = RecycledArrays.Use(pool);
        Assert.NotSame(small, RecycledArrays.Uninitialized<float>(16));
    }
}
