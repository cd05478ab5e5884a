using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>The golden files' rule for float32 results: |ours − ref| ≤ 1e-5 · (1 + |ref|) · √K for a reduction of length K.</summary>
internal static class Tolerance
{
    public static void AssertClose(Tensor expected, Tensor actual, int reductionLength, string what)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: expected shape {expected.Shape} but got {actual.Shape}.");
        var reference = expected.ToFloat64Array();
        var ours = actual.ToFloat64Array();
        var scale = 1e-5 * Math.Sqrt(Math.Max(1, reductionLength));
        for (var i = 0; i < reference.Length; i++)
        {
            var allowed = scale * (1 + Math.Abs(reference[i]));
            Assert.True(Math.Abs(ours[i] - reference[i]) <= allowed,
                $"{what}: element {i} is {ours[i]:R} but the reference is {reference[i]:R} (allowed difference {allowed:E2}).");
        }
    }

    /// <summary>A float32 result by the rule above, a float64 one to <paramref name="float64Tolerance"/> (relative and absolute).</summary>
    public static void Close(Tensor expected, Tensor actual, int reductionLength, string what, double float64Tolerance = 1e-12)
    {
        if (actual.DType == DType.Float32)
            AssertClose(expected, actual, reductionLength, $"{what} (float32)");
        else
            Assert.True(actual.AllClose(expected, float64Tolerance, float64Tolerance), $"{what} (float64) differs by {actual.MaxAbsDifference(expected):E2}");
    }
}
