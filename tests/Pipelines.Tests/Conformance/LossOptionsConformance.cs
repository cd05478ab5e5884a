using System.Text.Json;
using Pipelines.IO;
using Pipelines.Losses;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// Every case of <c>loss_options.safetensors</c> (made by PyTorch with <c>Golden/generate.py</c>): class weights,
/// ignored targets, label smoothing, K-dimensional input, soft labels, masked −∞ logits, smooth L1, KL divergence and the
/// weighted binary losses. Each case's metadata says which loss and options; value and gradient are compared in float64
/// (to 1e-12) and, from the float32 inputs, in float32.
/// </summary>
public sealed class LossOptionsConformance
{
    private const string FileName = "loss_options.safetensors";

    public static TheoryData<string> Cases() => GoldenFiles.CaseNames(FileName);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Value_and_gradient_match_PyTorch(string name)
    {
        var file = GoldenFiles.Load(FileName);
        var d = GoldenFiles.Cases(FileName)[name];
        var input = file.Tensor(d.GetProperty("input").GetString()!);
        var expected = file.Tensor($"{name}.loss").Item();
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var result = Resolve(d, file)(input.To(dtype));
            var tolerance = dtype == DType.Float64 ? 1e-12 : 1e-5 * Math.Sqrt(input.Count);
            Assert.True(result.Value == expected || Math.Abs(result.Value - expected) <= tolerance * (1 + Math.Abs(expected)), $"{name} ({dtype.Name()}): loss {result.Value:R}, PyTorch {expected:R}");
            if (d.TryGetProperty("value_only", out _))
                continue;
            var gradient = file.Tensor($"{name}.grad");
            if (dtype == DType.Float64)
                Assert.True(result.Gradient.AllClose(gradient, 1e-12, 1e-12), $"{name}: gradient differs by {result.Gradient.MaxAbsDifference(gradient):E2}");
            else
                Tolerance.AssertClose(gradient, result.Gradient, input.Rank == 1 ? input.Count : input.Shape.Last, $"{name}.grad (float32)");
        }
    }

    /// <summary>The loss a case describes, with its target and options bound, as a function of the input.</summary>
    private static Func<Tensor, LossValue> Resolve(JsonElement d, SafeTensorsFile file)
    {
        Tensor? Optional(string key) => d.TryGetProperty(key, out var value) ? file.Tensor(value.GetString()!) : null;
        double Number(string key, double fallback) => d.TryGetProperty(key, out var value) ? value.GetDouble() : fallback;
        var target = file.Tensor(d.GetProperty("target").GetString()!);
        var (weight, posWeight) = (Optional("weight"), Optional("pos_weight"));
        var reduction = d.GetProperty("reduction").GetString() switch
        {
            "mean" => Reduction.Mean,
            "sum" => Reduction.Sum,
            "batchmean" => Reduction.BatchMean,
            var other => throw new Xunit.Sdk.XunitException($"Unknown reduction '{other}'."),
        };
        var ignore = (long)Number("ignore_index", -100);
        Tensor Like(Tensor t, Tensor x) => t.DType.IsFloatingPoint() ? t.To(x.DType) : t;
        return d.GetProperty("loss").GetString() switch
        {
            "cross_entropy" => x => Loss.CrossEntropy(x, Like(target, x), weight, ignore, reduction, Number("label_smoothing", 0)),
            "nll" => x => Loss.NegativeLogLikelihood(x, target, weight, ignore, reduction),
            "smooth_l1" => x => Loss.SmoothL1(x, Like(target, x), Number("beta", 1), reduction),
            "kl_div" => x => Loss.KLDivergence(x, Like(target, x), reduction, d.GetProperty("log_target").GetBoolean()),
            "bce" => x => Loss.BinaryCrossEntropy(x, Like(target, x), reduction, weight),
            "bce_with_logits" => x => Loss.BinaryCrossEntropyWithLogits(x, Like(target, x), reduction, weight, posWeight),
            var other => throw new Xunit.Sdk.XunitException($"The file has a '{other}' case, which this suite does not know: add it to {nameof(Resolve)}."),
        };
    }
}
