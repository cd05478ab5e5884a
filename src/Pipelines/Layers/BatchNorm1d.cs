using System.Globalization;
using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Batch normalisation over the features of [N, C] input, like <c>nn.BatchNorm1d</c>. Training mode normalises
/// with the batch's statistics and returns, as <see cref="Traced.Next"/>, the layer with its running mean and
/// (unbiased) variance moved by <see cref="Momentum"/>; evaluation mode normalises with the running statistics.
/// </summary>
public sealed record BatchNorm1d : Layer
{
    /// <summary>A layer for <paramref name="features"/> channels: weight 1, bias 0, running mean 0, running variance 1.</summary>
    public BatchNorm1d(int features, double eps = 1e-5, double momentum = 0.1, DType dtype = DType.Float32)
        : this(Tensor.Ones(new Shape(features), dtype), Tensor.Zeros(new Shape(features), dtype), Tensor.Zeros(new Shape(features), dtype), Tensor.Ones(new Shape(features), dtype), Tensor.Scalar(0, dtype), eps, momentum)
    {
    }

    /// <summary>A layer from existing parameters and buffers, each [C] (the count a scalar).</summary>
    public BatchNorm1d(Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, Tensor numBatchesTracked, double eps = 1e-5, double momentum = 0.1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 1)
            throw new ArgumentException($"BatchNorm1d weight must be [C] but got {weight.Shape}.", nameof(weight));
        foreach (var (name, t) in new[] { ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar) })
        {
            if (t is null || t.Shape != weight.Shape || t.DType != weight.DType)
                throw new ArgumentException($"BatchNorm1d {name} must be {weight.Shape} ({weight.DType.Name()}) like the weight but got {t?.Shape.ToString() ?? "null"}.", name);
        }
        ArgumentNullException.ThrowIfNull(numBatchesTracked);
        if (!(eps > 0) || momentum is < 0 or > 1)
            throw new ArgumentException($"BatchNorm1d needs eps > 0 and momentum in [0, 1] but got eps={eps}, momentum={momentum}.");
        (Weight, Bias, RunningMean, RunningVar, NumBatchesTracked, Eps, Momentum) = (weight, bias, runningMean, runningVar, numBatchesTracked, eps, momentum);
    }

    /// <summary>γ, [C].</summary>
    public Tensor Weight { get; }

    /// <summary>β, [C].</summary>
    public Tensor Bias { get; }

    /// <summary>The running mean, a buffer.</summary>
    public Tensor RunningMean { get; }

    /// <summary>The running (unbiased) variance, a buffer.</summary>
    public Tensor RunningVar { get; }

    /// <summary>How many training batches updated the running statistics, a scalar buffer.</summary>
    public Tensor NumBatchesTracked { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>The weight of a batch's statistics in the running ones.</summary>
    public double Momentum { get; }

    /// <summary>The number of features.</summary>
    public int Features => Weight.Shape[0];

    /// <summary>Prints as PyTorch does.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"BatchNorm1d({Features}, eps={Eps:0.0####e+00}, momentum={Momentum}, affine=True, track_running_stats=True)");

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        if (x.Rank != 2 || x.Shape[1] != Features || x.DType != Weight.DType)
            throw new ArgumentException($"{LayerPath.Describe("BatchNorm1d", path)} expects input [N, {Features}] ({Weight.DType.Name()}) but got {x.Shape} ({x.DType.Name()}).", nameof(x));
        if (context.Mode == Mode.Eval)
        {
            var invStd = Reciprocal((RunningVar + Eps).Sqrt());
            var normalized = (x - RunningMean) * invStd;
            return new Traced((normalized * Weight) + Bias, new NormTrace(normalized, invStd, Training: false), this);
        }
        var n = x.Shape[0];
        if (n < 2)
            throw new ArgumentException($"{LayerPath.Describe("BatchNorm1d", path)} needs more than one sample per feature in training but got {x.Shape}.", nameof(x));
        var mean = x.Mean(0);
        var centered = x - mean;
        var variance = (centered * centered).Mean(0);
        var inverse = Reciprocal((variance + Eps).Sqrt());
        var xhat = centered * inverse;
        var next = new BatchNorm1d(
            Weight,
            Bias,
            (RunningMean * (1 - Momentum)) + (mean * Momentum),
            (RunningVar * (1 - Momentum)) + (variance * (Momentum * n / (n - 1))),
            NumBatchesTracked + 1,
            Eps,
            Momentum);
        return new Traced((xhat * Weight) + Bias, new NormTrace(xhat, inverse, Training: true), next);
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var saved = Expect<NormTrace>(trace, "BatchNorm1d", path);
        ExpectGradient(saved.Normalized, dy, "BatchNorm1d", path);
        var dbeta = dy.Sum(0);
        var dgamma = (dy * saved.Normalized).Sum(0);
        var gradient = new BatchNorm1d(dgamma, dbeta, Tensor.Zeros(RunningMean.Shape, RunningMean.DType), Tensor.Zeros(RunningVar.Shape, RunningVar.DType), Tensor.Scalar(0, NumBatchesTracked.DType), Eps, Momentum);
        if (!saved.Training)
            return (dy * (Weight * saved.InvStd), gradient);
        var n = dy.Shape[0];
        var dx = (Weight * saved.InvStd / n) * ((dy * n) - dbeta - (saved.Normalized * dgamma));
        return (dx, gradient);
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) =>
        [new(LayerPath.Join(prefix, "weight"), Weight), new(LayerPath.Join(prefix, "bias"), Bias)];

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) =>
        new BatchNorm1d(map(LayerPath.Join(prefix, "weight"), Weight), map(LayerPath.Join(prefix, "bias"), Bias), RunningMean, RunningVar, NumBatchesTracked, Eps, Momentum);

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix) =>
    [
        new(LayerPath.Join(prefix, "running_mean"), RunningMean),
        new(LayerPath.Join(prefix, "running_var"), RunningVar),
        new(LayerPath.Join(prefix, "num_batches_tracked"), NumBatchesTracked),
    ];

    /// <inheritdoc/>
    protected internal override Layer MapBuffers(string prefix, Func<string, Tensor, Tensor> map) =>
        new BatchNorm1d(Weight, Bias, map(LayerPath.Join(prefix, "running_mean"), RunningMean), map(LayerPath.Join(prefix, "running_var"), RunningVar), map(LayerPath.Join(prefix, "num_batches_tracked"), NumBatchesTracked), Eps, Momentum);

    private static Tensor Reciprocal(Tensor t) => Tensor.Ones(t.Shape, t.DType) / t;
}

/// <summary>The trace of a normalisation: the normalised input and 1/√(var + eps), and whether batch statistics were used.</summary>
public sealed record NormTrace(Tensor Normalized, Tensor InvStd, bool Training) : Trace;
