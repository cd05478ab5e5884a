using System.Globalization;
using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// Batch normalisation over the channels of [N, C] or [N, C, L] input, like <c>nn.BatchNorm1d</c>. Training mode
/// normalises with the batch's statistics (over N and L) and returns, as <see cref="Traced.Next"/>, the layer with its
/// running mean and (unbiased) variance moved by <see cref="Momentum"/> (or averaged over all batches when it is null)
/// and <c>num_batches_tracked</c> (int64) advanced; evaluation mode normalises with the running statistics. Without
/// tracked statistics it always uses the batch's; without affine parameters it has no weight or bias.
/// </summary>
public sealed record BatchNorm1d : Layer
{
    /// <summary>A layer for <paramref name="features"/> channels: weight 1, bias 0, running mean 0, running variance 1, count 0.</summary>
    /// <param name="features">The number of channels C.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="momentum">The weight of a batch's statistics in the running ones; null for the cumulative average, like <c>momentum=None</c>.</param>
    /// <param name="affine">Whether the layer has a learnable weight and bias.</param>
    /// <param name="trackRunningStats">Whether the layer keeps running statistics (used in evaluation).</param>
    /// <param name="dtype">float32 or float64.</param>
    public BatchNorm1d(int features, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
        : this(
            features,
            affine ? Tensor.Ones(new Shape(Checked(features)), dtype) : null,
            affine ? Tensor.Zeros(new Shape(features), dtype) : null,
            trackRunningStats ? Tensor.Zeros(new Shape(features), dtype) : null,
            trackRunningStats ? Tensor.Ones(new Shape(features), dtype) : null,
            trackRunningStats ? Tensor.Scalar(0, DType.Int64) : null,
            eps,
            momentum)
    {
    }

    /// <summary>A layer from existing parameters and buffers: weight and bias both or neither, and the three buffers all or none.</summary>
    /// <param name="features">The number of channels C.</param>
    /// <param name="weight">γ, [C], or null without affine parameters.</param>
    /// <param name="bias">β, [C], or null without affine parameters.</param>
    /// <param name="runningMean">The running mean, [C], or null without tracked statistics.</param>
    /// <param name="runningVar">The running variance, [C], or null without tracked statistics.</param>
    /// <param name="numBatchesTracked">The int64 count of training batches seen, a scalar, or null without tracked statistics.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="momentum">The weight of a batch's statistics in the running ones; null for the cumulative average.</param>
    public BatchNorm1d(int features, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, Tensor? numBatchesTracked, double eps = 1e-5, double? momentum = 0.1)
    {
        Checked(features);
        if ((weight is null) != (bias is null))
            throw new ArgumentException("BatchNorm1d needs both weight and bias (affine) or neither.", nameof(weight));
        if ((runningMean is null) != (runningVar is null) || (runningMean is null) != (numBatchesTracked is null))
            throw new ArgumentException("BatchNorm1d needs running_mean, running_var and num_batches_tracked all (tracked statistics) or none.", nameof(runningMean));
        var dtype = (weight ?? runningMean)?.DType;
        foreach (var (name, t) in new[] { ("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar) })
        {
            if (t is not null && (t.Shape != new Shape(features) || t.DType != dtype || !t.DType.IsFloatingPoint()))
                throw new ArgumentException($"BatchNorm1d {name} must be [{features}] ({dtype?.Name()}), like the other parameters and buffers, but got {t.Shape} ({t.DType.Name()}).", name);
        }
        if (numBatchesTracked is not null && (numBatchesTracked.Count != 1 || numBatchesTracked.DType != DType.Int64))
            throw new ArgumentException($"BatchNorm1d num_batches_tracked must be an int64 scalar but got {numBatchesTracked.Shape} ({numBatchesTracked.DType.Name()}).", nameof(numBatchesTracked));
        if (!(eps > 0) || momentum is < 0 or > 1 || momentum is double.NaN)
            throw new ArgumentException($"BatchNorm1d needs eps > 0 and momentum in [0, 1] (or null) but got eps={eps}, momentum={momentum}.");
        (Features, Weight, Bias, RunningMean, RunningVar, NumBatchesTracked, Eps, Momentum) = (features, weight, bias, runningMean, runningVar, numBatchesTracked?.Reshape(Shape.Scalar), eps, momentum);
    }

    /// <summary>The number of channels C.</summary>
    public int Features { get; }

    /// <summary>γ, [C], or null without affine parameters.</summary>
    public Tensor? Weight { get; }

    /// <summary>β, [C], or null without affine parameters.</summary>
    public Tensor? Bias { get; }

    /// <summary>The running mean, a buffer, or null without tracked statistics.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>The running (unbiased) variance, a buffer, or null without tracked statistics.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>How many training batches updated the running statistics: an int64 scalar buffer, as PyTorch stores it.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>The weight of a batch's statistics in the running ones; null means the cumulative average over all batches.</summary>
    public double? Momentum { get; }

    /// <summary>Whether the layer has a learnable weight and bias.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Whether the layer keeps running statistics.</summary>
    public bool TrackRunningStats => RunningMean is not null;

    /// <inheritdoc/>
    public override LayerParts Parts => new()
    {
        Parameters = Affine ? [("weight", Weight!), ("bias", Bias!)] : [],
        Buffers = TrackRunningStats ? [("running_mean", RunningMean!), ("running_var", RunningVar!), ("num_batches_tracked", NumBatchesTracked!)] : [],
    };

    /// <summary>Prints as PyTorch does.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"BatchNorm1d({Features}, eps={Eps:0.0####e+00}, momentum={(Momentum is { } m ? m.ToString(CultureInfo.InvariantCulture) : "None")}, affine={Python(Affine)}, track_running_stats={Python(TrackRunningStats)})");

    /// <inheritdoc/>
    protected override Layer Rebuild(LayerParts parts) => new BatchNorm1d(
        Features,
        parts.OptionalParameter("weight"),
        parts.OptionalParameter("bias"),
        TrackRunningStats ? parts.Buffer("running_mean") : null,
        TrackRunningStats ? parts.Buffer("running_var") : null,
        TrackRunningStats ? parts.Buffer("num_batches_tracked") : null,
        Eps,
        Momentum);

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var dtype = (Weight ?? RunningMean)?.DType ?? x.DType;
        if (x.Rank is not (2 or 3) || x.Shape[1] != Features || x.DType != dtype)
            throw new ArgumentException($"{Describe(context.Path)} expects input [N, {Features}] or [N, {Features}, L] ({dtype.Name()}) but got {x.Shape} ({x.DType.Name()}).", nameof(x));
        if (context.Mode == Mode.Eval && TrackRunningStats)
        {
            var invStd = Reciprocal((RunningVar! + Eps).Sqrt());
            var normalized = (x - PerChannel(RunningMean!, x)) * PerChannel(invStd, x);
            return new Traced(Affined(normalized), new NormTrace(normalized, invStd, BatchStatistics: false), this);
        }
        var n = ValuesPerChannel(x);
        // As PyTorch: batch statistics (training, or no running statistics to use) need more than one value per channel.
        if (n < 2)
            throw new ArgumentException($"{Describe(context.Path)} needs more than one value per channel to use batch statistics but got input {x.Shape}.", nameof(x));
        if (x.Rank == 2)
        {
            var (output, normalized, batchMean, batchVariance, batchInverse) = BatchNormKernel.Forward(x, Weight, Bias, Eps);
            return new Traced(output, new NormTrace(normalized, batchInverse, BatchStatistics: true), Next(context, batchMean, batchVariance, n));
        }
        var mean = ChannelMean(x);
        var centered = x - PerChannel(mean, x);
        var variance = ChannelMean(centered * centered);
        var inverse = Reciprocal((variance + Eps).Sqrt());
        var xhat = centered * PerChannel(inverse, x);
        return new Traced(Affined(xhat), new NormTrace(xhat, inverse, BatchStatistics: true), Next(context, mean, variance, n));
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var saved = Expect<NormTrace>(trace);
        ExpectGradient(saved.Normalized, dy, trace);
        var fused = dy.Rank == 2 && saved.BatchStatistics;
        var (dxFused, dgamma, dbeta) = fused
            ? BatchNormKernel.Backward(dy, saved.Normalized, saved.InvStd, Weight, inputGradient)
            : (null, ChannelSum(dy * saved.Normalized), ChannelSum(dy));
        var gradient = new BatchNorm1d(
            Features,
            Affine ? dgamma : null,
            Affine ? dbeta : null,
            RunningMean is null ? null : Tensor.Zeros(RunningMean.Shape, RunningMean.DType),
            RunningVar is null ? null : Tensor.Zeros(RunningVar.Shape, RunningVar.DType),
            NumBatchesTracked is null ? null : Tensor.Scalar(0, DType.Int64),
            Eps,
            Momentum);
        if (!inputGradient || fused)
            return (dxFused, gradient);
        var scale = Weight is null ? saved.InvStd : Weight * saved.InvStd;
        if (!saved.BatchStatistics)
            return (dy * PerChannel(scale, dy), gradient);
        var n = ValuesPerChannel(dy);
        var dx = PerChannel(scale / n, dy) * ((dy * n) - PerChannel(dbeta, dy) - (saved.Normalized * PerChannel(dgamma, dy)));
        return (dx, gradient);
    }

    private static int Checked(int features) => features >= 0 ? features : throw new ArgumentOutOfRangeException(nameof(features), features, "BatchNorm1d needs a non-negative number of features.");

    private static string Python(bool value) => value ? "True" : "False";

    private static Tensor Reciprocal(Tensor t) => Tensor.Ones(t.Shape, t.DType) / t;

    /// <summary>N, or N·L for [N, C, L]: counted from the shape, since with no channels there are no values to divide.</summary>
    private static int ValuesPerChannel(Tensor t) => t.Shape[0] * (t.Rank == 3 ? t.Shape[2] : 1);

    /// <summary>A [C] tensor shaped to broadcast over the channel axis of <paramref name="like"/> ([C] for 2-D, [C, 1] for 3-D).</summary>
    private static Tensor PerChannel(Tensor channels, Tensor like) => like.Rank == 3 ? channels.Reshape(channels.Count, 1) : channels;

    /// <summary>The sum over every axis but the channel axis, [C], accumulated in double.</summary>
    private static Tensor ChannelSum(Tensor t) => (t.Rank == 3 ? t.To(DType.Float64).Sum(2).Sum(0) : t.Sum(0)).To(t.DType);

    private static Tensor ChannelMean(Tensor t) => t.Rank == 3 ? (t.To(DType.Float64).Sum(2).Sum(0) / ValuesPerChannel(t)).To(t.DType) : t.Mean(0);

    private Tensor Affined(Tensor normalized) => Weight is null ? normalized : (normalized * PerChannel(Weight, normalized)) + PerChannel(Bias!, normalized);

    /// <summary>The layer after a batch: advanced by its statistics in training with running statistics, else this one.</summary>
    private BatchNorm1d Next(ForwardContext context, Tensor mean, Tensor variance, int n) =>
        context.Mode == Mode.Train && TrackRunningStats ? Advanced(mean, variance, n) : this;

    /// <summary>The layer after a training batch: count + 1, and running statistics moved by the momentum or, without one, by 1/count.</summary>
    private BatchNorm1d Advanced(Tensor mean, Tensor variance, int n)
    {
        var count = NumBatchesTracked!.Item<long>() + 1;
        var factor = Momentum ?? 1.0 / count;
        return new BatchNorm1d(
            Features,
            Weight,
            Bias,
            (RunningMean! * (1 - factor)) + (mean * factor),
            (RunningVar! * (1 - factor)) + (variance * (factor * n / (n - 1))),
            Tensor.FromArray(new long[] { count }).Reshape(Shape.Scalar),
            Eps,
            Momentum);
    }
}
