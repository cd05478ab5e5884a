using System.Text.Json;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// Every case of <c>norm_options.safetensors</c>: BatchNorm1d on [N, C, L], without affine parameters, without running
/// statistics and with the cumulative average (momentum None) over several steps; LayerNorm over two trailing axes and
/// without affine parameters. Forward, backward, running statistics and the evaluation output, in float64 and float32.
/// </summary>
public sealed class NormOptionsConformance
{
    private const string FileName = "norm_options.safetensors";

    public static TheoryData<string> Cases() => GoldenFiles.CaseNames(FileName);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_backward_and_statistics_match_PyTorch(string name)
    {
        var file = GoldenFiles.Load(FileName);
        var d = GoldenFiles.Cases(FileName)[name];
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var x = file.Tensor(d.GetProperty("x").GetString()!).To(dtype);
            var dy = file.Tensor(d.GetProperty("dy").GetString()!).To(dtype);
            var affine = d.GetProperty("affine").GetBoolean();
            if (d.GetProperty("layer").GetString() == "layer_norm")
            {
                var shape = new Shape([.. d.GetProperty("normalized_shape").EnumerateArray().Select(e => e.GetInt32())]);
                var layer = affine ? new LayerNorm(shape, file.Tensor($"{name}.weight_in").To(dtype), file.Tensor($"{name}.bias_in").To(dtype)) : new LayerNorm(shape, elementwiseAffine: false, dtype: dtype);
                var traced = layer.Forward(x, ForwardContext.Training(new Key(0)));
                var (dx, gradient) = layer.Backward(traced.Trace, dy);
                Close(file, $"{name}.y", traced.Output, shape.ElementCount);
                Close(file, $"{name}.dx", dx, shape.ElementCount);
                Assert.Equal(affine ? 2 : 0, layer.NamedParameters().Count);
                if (affine)
                {
                    Close(file, $"{name}.dweight", ((LayerNorm)gradient).Weight!, x.Count / shape.ElementCount);
                    Close(file, $"{name}.dbias", ((LayerNorm)gradient).Bias!, x.Count / shape.ElementCount);
                }
                continue;
            }
            var momentum = d.GetProperty("momentum").ValueKind == JsonValueKind.Null ? (double?)null : d.GetProperty("momentum").GetDouble();
            var norm = new BatchNorm1d(4, momentum: momentum, affine: affine, trackRunningStats: d.GetProperty("track_running_stats").GetBoolean(), dtype: dtype);
            if (affine)
                norm = (BatchNorm1d)norm.MapParameters((p, _) => file.Tensor(p == "weight" ? "gamma" : "beta").To(dtype));
            var steps = d.GetProperty("steps").GetInt32();
            Traced step = null!;
            for (var i = 0; i < steps; i++)
            {
                step = norm.Forward(x + i, ForwardContext.Training(new Key(0)));
                if (i < steps - 1)
                    norm = (BatchNorm1d)step.Next;
            }
            var (grad, g) = norm.Backward(step.Trace, dy);
            var reduction = x.Count / 4;
            Close(file, $"{name}.y", step.Output, reduction);
            Close(file, $"{name}.dx", grad, reduction);
            if (affine)
            {
                Close(file, $"{name}.dgamma", ((BatchNorm1d)g).Weight!, reduction);
                Close(file, $"{name}.dbeta", ((BatchNorm1d)g).Bias!, reduction);
            }
            var next = (BatchNorm1d)step.Next;
            if (next.TrackRunningStats)
            {
                Close(file, $"{name}.running_mean", next.RunningMean!, reduction);
                Close(file, $"{name}.running_var", next.RunningVar!, reduction);
                Assert.Equal(file.Tensors[$"{name}.num_batches_tracked"].ToInt64Array()[0], next.NumBatchesTracked!.Item<long>());
            }
            else
            {
                Assert.Empty(next.NamedBuffers());
            }
            Close(file, $"{name}.eval_y", next.Forward(x), reduction);
        }
    }

    private static void Close(Pipelines.IO.SafeTensorsFile file, string key, Tensor actual, int reduction)
    {
        var expected = file.Tensor(key);
        if (actual.DType == DType.Float32)
            Tolerance.AssertClose(expected, actual, reduction, $"{key} (float32)");
        else
            Assert.True(actual.AllClose(expected, 1e-12, 1e-12), $"{key} (float64) differs by {actual.MaxAbsDifference(expected):E2}");
    }
}
