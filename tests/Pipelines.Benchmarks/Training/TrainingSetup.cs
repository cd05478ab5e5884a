using Pipelines.Autodiff;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Training;

/// <summary>A case's model, data and optimizer, and the step a user writes: gradients, then the optimizer's step.</summary>
internal sealed class TrainingSetup
{
    private readonly Tensor _x;
    private readonly long[] _targets;
    private readonly GradientTransformation _optimizer;
    private readonly ForwardContext _context = ForwardContext.Training(new Key(7));
    private Layer _model;
    private OptimizerState _state;

    public TrainingSetup(TrainingCase c)
    {
        var key = new Key(0);
        _model = Enumerable.Range(0, c.Widths.Length - 1)
            .Select(i => i == c.Widths.Length - 2
                ? (Layer)new Linear(key.Fold((ulong)i), c.Widths[i], c.Widths[i + 1])
                : new Linear(key.Fold((ulong)i), c.Widths[i], c.Widths[i + 1]) >> new ReLU())
            .Aggregate((a, b) => a >> b);
        _x = Tensor.Normal(key.Fold(100), new Shape(c.Batch, c.Widths[0]));
        var classes = c.Widths[^1];
        _targets = [.. Tensor.Uniform(key.Fold(101), new Shape(c.Batch), dtype: DType.Float64).ToFloat64Array().Select(u => (long)(u * classes))];
        _optimizer = c.Optimizer == "sgd" ? Optimizers.Sgd(0.01) : Optimizers.AdamW(1e-3, weightDecay: 1e-4);
        _state = _optimizer.Init(_model);
    }

    public double Step()
    {
        var step = Gradients.ValueAndGrad(_model, _x, y => Loss.CrossEntropy(y, _targets), _context);
        (_model, _state) = _optimizer.Step(step, _state);
        return step.Value;
    }
}
