using System.Globalization;
using Pipelines.IO;
using Pipelines.Kernels;
using Pipelines.Losses;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// Every loss in <c>losses.safetensors</c> (found from its <c>NAME.loss</c> keys), value and gradient with respect to the
/// first input, against PyTorch's float64 answers: from the float32 inputs in float32 and, converted, in float64.
/// </summary>
public sealed class LossConformance
{
    private const string FileName = "losses.safetensors";

    public static TheoryData<string> Losses()
    {
        var data = new TheoryData<string>();
        foreach (var key in GoldenFiles.Load(FileName).Tensors.Keys.Where(k => k.EndsWith(".loss", StringComparison.Ordinal)))
            data.Add(key[..^".loss".Length]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void Value_and_gradient_match_PyTorch(string name)
    {
        var file = GoldenFiles.Load(FileName);
        var (input, loss) = Resolve(name, file);
        var expectedValue = file.Tensor($"{name}.loss").Item();
        var expectedGradient = file.Tensor($"{name}.d0");

        var single = loss(input);
        Assert.True(Math.Abs(single.Value - expectedValue) <= 1e-5 * (1 + Math.Abs(expectedValue)) * Math.Sqrt(input.Count), $"{name}: loss {single.Value:R}, PyTorch {expectedValue:R}");
        Tolerance.AssertClose(expectedGradient, single.Gradient, input.Shape.Last, $"{name}.d0 (float32)");

        var wide = loss(input.To(DType.Float64));
        Assert.True(Math.Abs(wide.Value - expectedValue) <= 1e-12 * (1 + Math.Abs(expectedValue)), $"{name}: float64 loss {wide.Value:R}, PyTorch {expectedValue:R}");
        Assert.True(wide.Gradient.AllClose(expectedGradient, rtol: 1e-12, atol: 1e-12), $"{name}.d0 (float64) differs by {wide.Gradient.MaxAbsDifference(expectedGradient):E2}");
    }

    /// <summary>The loss a name stands for, with the file's input it differentiates and its other inputs bound.</summary>
    private static (Tensor Input, Func<Tensor, LossValue> Loss) Resolve(string name, SafeTensorsFile file)
    {
        var targets = file.Tensors["target"].ToInt64Array();
        Tensor Target(string key, Tensor like) => file.Tensor(key).To(like.DType);
        static double Parameter(string name) => double.Parse(name[(name.LastIndexOf('_') + 1)..], CultureInfo.InvariantCulture);
        var reduction = name.EndsWith("_sum", StringComparison.Ordinal) ? Reduction.Sum : Reduction.Mean;
        return name switch
        {
            _ when name.StartsWith("cross_entropy_smooth_", StringComparison.Ordinal) => (file.Tensor("logits"), z => Loss.CrossEntropy(z, targets, labelSmoothing: Parameter(name))),
            _ when name.StartsWith("cross_entropy_", StringComparison.Ordinal) => (file.Tensor("logits"), z => Loss.CrossEntropy(z, targets, reduction)),
            "nll_of_log_softmax" => (file.Tensor("logits"), z =>
            {
                var logProbabilities = Activations.LogSoftmax(z);
                var nll = Loss.NegativeLogLikelihood(logProbabilities, targets);
                return nll with { Gradient = Activations.LogSoftmaxBackward(logProbabilities, nll.Gradient) };
            }),
            _ when name.StartsWith("mse_", StringComparison.Ordinal) => (file.Tensor("pred"), p => Loss.MeanSquaredError(p, Target("goal", p), reduction)),
            _ when name.StartsWith("l1_", StringComparison.Ordinal) => (file.Tensor("pred"), p => Loss.L1(p, Target("goal", p), reduction)),
            _ when name.StartsWith("huber_", StringComparison.Ordinal) => (file.Tensor("pred"), p => Loss.Huber(p, Target("goal", p), Parameter(name))),
            _ when name.StartsWith("bce_with_logits_", StringComparison.Ordinal) => (file.Tensor("big_logits"), z => Loss.BinaryCrossEntropyWithLogits(z, Target("bits", z), reduction)),
            _ when name.StartsWith("bce_", StringComparison.Ordinal) => (file.Tensor("probs"), p => Loss.BinaryCrossEntropy(p, Target("bits", p), reduction)),
            _ => throw new Xunit.Sdk.XunitException($"The golden file has loss '{name}', which this suite does not know: add it to {nameof(Resolve)}."),
        };
    }
}
