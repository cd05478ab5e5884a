using System.Globalization;
using Pipelines.Kernels;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// Every function listed in the metadata of <c>activations.safetensors</c>, forward and backward, against PyTorch's
/// float64 answers: in float32 within the golden tolerance, and in float64 to 1e-12.
/// </summary>
public sealed class ActivationConformance
{
    private const string FileName = "activations.safetensors";

    public static TheoryData<string> Functions()
    {
        var data = new TheoryData<string>();
        foreach (var name in GoldenFiles.Load(FileName).Metadata["functions"].Split(','))
            data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Forward_and_backward_match_PyTorch(string name)
    {
        var file = GoldenFiles.Load(FileName);
        var x = file.Tensor("x");
        var (forward, backward, reduction) = Resolve(name, x.Shape.Last);
        var dy = file.Tensor("dy");
        var (expectedY, expectedDx) = (file.Tensor($"{name}.y"), file.Tensor($"{name}.dx"));

        var y = forward(x);
        Tolerance.AssertClose(expectedY, y, reduction, $"{name}.y (float32)");
        Tolerance.AssertClose(expectedDx, backward(x, y, dy), reduction, $"{name}.dx (float32)");

        var (x64, dy64) = (x.To(DType.Float64), dy.To(DType.Float64));
        var y64 = forward(x64);
        Assert.True(y64.AllClose(expectedY, rtol: 1e-12, atol: 1e-12), $"{name}.y (float64) differs by {y64.MaxAbsDifference(expectedY):E2}");
        var dx64 = backward(x64, y64, dy64);
        Assert.True(dx64.AllClose(expectedDx, rtol: 1e-12, atol: 1e-12), $"{name}.dx (float64) differs by {dx64.MaxAbsDifference(expectedDx):E2}");
    }

    /// <summary>
    /// The PyTorch name of a function as the file spells it (a trailing number is its parameter, as in
    /// <c>leaky_relu_0.2</c>), mapped to our forward, backward (given x, y and dy) and reduction length (softmax sums the last axis).
    /// </summary>
    private static (Func<Tensor, Tensor> Forward, Func<Tensor, Tensor, Tensor, Tensor> Backward, int Reduction) Resolve(string name, int lastAxis)
    {
        const string leaky = "leaky_relu_";
        if (name.StartsWith(leaky, StringComparison.Ordinal))
        {
            var slope = double.Parse(name[leaky.Length..], CultureInfo.InvariantCulture);
            return (x => Activations.LeakyRelu(x, slope), (x, _, dy) => Activations.LeakyReluBackward(x, dy, slope), 1);
        }
        return name switch
        {
            "relu" => (Activations.Relu, (x, _, dy) => Activations.ReluBackward(x, dy), 1),
            "sigmoid" => (Activations.Sigmoid, (_, y, dy) => Activations.SigmoidBackward(y, dy), 1),
            "tanh" => (Activations.Tanh, (_, y, dy) => Activations.TanhBackward(y, dy), 1),
            "gelu" => (x => Activations.Gelu(x), (x, _, dy) => Activations.GeluBackward(x, dy), 1),
            "gelu_tanh" => (x => Activations.Gelu(x, GeluApproximation.Tanh), (x, _, dy) => Activations.GeluBackward(x, dy, GeluApproximation.Tanh), 1),
            "silu" => (Activations.Silu, (x, _, dy) => Activations.SiluBackward(x, dy), 1),
            "elu" => (x => Activations.Elu(x), (x, _, dy) => Activations.EluBackward(x, dy), 1),
            "softplus" => (x => Activations.Softplus(x), (x, _, dy) => Activations.SoftplusBackward(x, dy), 1),
            "softmax" => (x => Activations.Softmax(x), (_, y, dy) => Activations.SoftmaxBackward(y, dy), lastAxis),
            "log_softmax" => (x => Activations.LogSoftmax(x), (_, y, dy) => Activations.LogSoftmaxBackward(y, dy), lastAxis),
            _ => throw new Xunit.Sdk.XunitException($"The golden file lists '{name}', which this suite does not know: add it to {nameof(Resolve)}."),
        };
    }
}
