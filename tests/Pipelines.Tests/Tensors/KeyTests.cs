using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Tensors;

public sealed class KeyTests
{
    [Theory]
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Philox_matches_the_Random123_known_answers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint r0, uint r1, uint r2, uint r3) =>
        Assert.Equal(new Block128(r0, r1, r2, r3), Key.Philox(c0, c1, c2, c3, k0, k1));

    [Fact]
    public void The_same_key_gives_the_same_numbers_on_every_thread()
    {
        var key = new Key(42);
        var reference = Tensor.Normal(key, new Shape(1000)).ToFloat32Array();
        var results = new float[8][];
        Parallel.For(0, 8, i => results[i] = Tensor.Normal(key, new Shape(1000)).ToFloat32Array());
        Assert.All(results, r => Assert.Equal(reference, r));
    }

    [Fact]
    public void Element_i_of_a_draw_does_not_depend_on_how_many_are_drawn()
    {
        var key = new Key(3);
        var small = Tensor.Uniform(key, new Shape(5)).ToFloat32Array();
        var large = Tensor.Uniform(key, new Shape(500)).ToFloat32Array();
        Assert.Equal(small, large[..5]);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Block_at_a_time_uniform_draws_equal_the_element_at_a_time_definition(DType dtype)
    {
        var key = new Key(17);
        var fast = new double[11];
        RandomBits.FillUnitInterval(key, dtype, fast);
        Assert.Equal(Enumerable.Range(0, 11).Select(i => RandomBits.UnitInterval(key, i, dtype)), fast);
    }

    [Fact]
    public void Split_and_fold_give_distinct_keys_and_are_deterministic()
    {
        var key = new Key(1);
        var (a, b) = key.Split();
        var four = key.Split(4);
        Assert.Equal((a, b), (four[0], four[1]));
        var keys = new[] { key, a, b, four[2], four[3], key.Fold(0), key.Fold(1), a.Fold(0) };
        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal((a, b), key.Split());
        var folds = Enumerable.Range(0, 1000).Select(i => key.Fold((ulong)i)).ToArray();
        Assert.Equal(folds.Length, folds.Distinct().Count());
        Assert.DoesNotContain(key, folds);
        var elsewhere = new Key[folds.Length];
        Parallel.For(0, folds.Length, i => elsewhere[i] = new Key(1).Fold((ulong)i));
        Assert.Equal(folds, elsewhere);
        Assert.NotEqual(Tensor.Uniform(a, new Shape(4)).ToFloat32Array(), Tensor.Uniform(b, new Shape(4)).ToFloat32Array());
    }

    [Fact]
    public void Uniform_draws_lie_in_the_interval_with_the_right_moments()
    {
        var draws = Tensor.Uniform(new Key(5), new Shape(100_000), -2, 3).ToFloat64Array();
        Assert.All(draws, v => Assert.InRange(v, -2, 3));
        Assert.Equal(0.5, draws.Average(), 0.02);
        Assert.Equal(25.0 / 12, draws.Select(v => (v - 0.5) * (v - 0.5)).Average(), 0.03);
    }

    [Fact]
    public void Normal_draws_have_the_right_moments_in_both_dtypes()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var draws = Tensor.Normal(new Key(6), new Shape(100_000), 1, 2, dtype).ToFloat64Array();
            Assert.Equal(1.0, draws.Average(), 0.03);
            Assert.Equal(4.0, draws.Select(v => (v - 1) * (v - 1)).Average(), 0.08);
            Assert.All(draws, v => Assert.True(double.IsFinite(v)));
        }
    }

    [Fact]
    public void Bad_distribution_parameters_are_rejected_with_their_values()
    {
        Assert.Contains("low=2, high=1", Assert.Throws<ArgumentException>(() => Tensor.Uniform(new Key(0), new Shape(2), 2, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("std=-1", Assert.Throws<ArgumentException>(() => Tensor.Normal(new Key(0), new Shape(2), 0, -1)).Message, StringComparison.Ordinal);
    }
}
