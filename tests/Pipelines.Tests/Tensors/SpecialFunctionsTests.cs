using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Tensors;

public sealed class SpecialFunctionsTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-1.5, -0.9661051464753108)]
    public void Erf_matches_reference_values(double x, double expected) => Assert.Equal(expected, SpecialFunctions.Erf(x), 14);

    [Fact]
    public void Erfc_keeps_precision_in_the_tail() =>
        Assert.Equal(1.5374597944280351e-12, SpecialFunctions.Erfc(5.0), 1e-24);

    [Theory]
    [InlineData(-0.999)]
    [InlineData(-0.3)]
    [InlineData(0.1)]
    [InlineData(0.9)]
    [InlineData(0.999999)]
    public void Erfinv_inverts_erf(double y) => Assert.Equal(y, SpecialFunctions.Erf(SpecialFunctions.Erfinv(y)), 13);

    [Fact]
    public void Edges_are_infinite_or_nan()
    {
        Assert.Equal(double.PositiveInfinity, SpecialFunctions.Erfinv(1));
        Assert.True(double.IsNaN(SpecialFunctions.Erfinv(1.5)));
        Assert.Equal(0.5, SpecialFunctions.NormalCdf(0), 15);
    }
}
