using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary><c>norm.safetensors</c>: BatchNorm1d in training (with its running statistics after the step) and evaluation, and LayerNorm.</summary>
public sealed class NormConformance
{
    private static readonly Pipelines.IO.SafeTensorsFile File = GoldenFiles.Load("norm.safetensors");

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void BatchNorm1d_training_step_matches_PyTorch(DType dtype)
    {
        var (x, dy, layer) = (Input("x", dtype), Input("dy", dtype), BatchNorm(dtype));
        var step = layer.Forward(x, ForwardContext.Training(new Key(0)));
        var (dx, gradient) = layer.Backward(step.Trace, dy);
        var next = (BatchNorm1d)step.Next;
        var g = (BatchNorm1d)gradient;
        var rows = x.Shape[0];
        Close("batchnorm_train.y", step.Output, dtype, 1);
        Close("batchnorm_train.dx", dx, dtype, rows);
        Close("batchnorm_train.dgamma", g.Weight!, dtype, rows);
        Close("batchnorm_train.dbeta", g.Bias!, dtype, rows);
        Close("batchnorm.running_mean", next.RunningMean!, dtype, rows);
        Close("batchnorm.running_var", next.RunningVar!, dtype, rows);
        Assert.Equal(1L, next.NumBatchesTracked!.Item<long>());
        Assert.Equal(0.0, layer.RunningMean!.Sum().Item());
        Close("batchnorm_eval.y", next.Forward(x), dtype, 1);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void LayerNorm_matches_PyTorch(DType dtype)
    {
        var (x, dy) = (Input("x", dtype), Input("dy", dtype));
        var gamma = Input("gamma", dtype);
        var layer = new LayerNorm(gamma.Shape, gamma, Input("beta", dtype));
        var step = layer.Forward(x, ForwardContext.Training(new Key(0)));
        var (dx, gradient) = layer.Backward(step.Trace, dy);
        var g = (LayerNorm)gradient;
        Close("layernorm.y", step.Output, dtype, x.Shape.Last);
        Close("layernorm.dx", dx, dtype, x.Shape.Last);
        Close("layernorm.dgamma", g.Weight!, dtype, x.Shape[0]);
        Close("layernorm.dbeta", g.Bias!, dtype, x.Shape[0]);
    }

    private static BatchNorm1d BatchNorm(DType dtype)
    {
        var gamma = Input("gamma", dtype);
        return new BatchNorm1d(gamma.Count, gamma, Input("beta", dtype), Tensor.Zeros(gamma.Shape, dtype), Tensor.Ones(gamma.Shape, dtype), Tensor.Scalar(0, DType.Int64));
    }

    private static Tensor Input(string name, DType dtype) => File.Tensor(name).To(dtype);

    private static void Close(string key, Tensor actual, DType dtype, int reduction)
    {
        var expected = File.Tensor(key);
        if (dtype == DType.Float32)
            Tolerance.AssertClose(expected, actual, reduction, key);
        else
            Assert.True(actual.AllClose(expected, rtol: 1e-12, atol: 1e-12), $"{key} (float64) differs by {actual.MaxAbsDifference(expected):E2}");
    }
}
