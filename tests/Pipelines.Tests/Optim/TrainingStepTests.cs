using Pipelines.Autodiff;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Optim;

/// <summary>The obvious training step is the correct one: typed, carrying buffers, and refusing state that does not fit.</summary>
public sealed class TrainingStepTests
{
    private static readonly Tensor X = Tensor.Normal(new Key(1), new Shape(16, 6));
    private static readonly long[] Labels = [.. Enumerable.Range(0, 16).Select(i => (long)(i % 3))];

    private static Chain Model(DType dtype = DType.Float32) =>
        new Linear(new Key(2), 6, 8, dtype: dtype) >> new BatchNorm1d(8, dtype: dtype) >> new ReLU() >> new Linear(new Key(3), 8, 3, dtype: dtype);

    /// <summary>The README's loop, verbatim in shape: ValueAndGrad, then optimizer.Step.</summary>
    [Fact]
    public void The_READMEs_loop_updates_BatchNorms_running_statistics_and_count()
    {
        var model = Model();
        var optimizer = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1.0), Optimizers.AdamW(1e-3));
        var state = optimizer.Init(model);
        for (var i = 0; i < 3; i++)
        {
            var step = Gradients.ValueAndGrad(model, X, y => Loss.CrossEntropy(y, Labels), ForwardContext.Training(new Key(4).Fold((ulong)i)));
            (model, state) = optimizer.Step(step, state);
        }
        var norm = (BatchNorm1d)model.Layers[1];
        Assert.Equal(3L, norm.NumBatchesTracked!.Item<long>());
        Assert.False(norm.RunningMean!.BitwiseEquals(Tensor.Zeros(norm.RunningMean.Shape)));
        Assert.False(norm.RunningVar!.BitwiseEquals(Tensor.Ones(norm.RunningVar.Shape)));
    }

    /// <summary>
    /// Every value a step hands out (gradient, output, model, optimizer state) keeps its bits while training goes on with
    /// large tensors (the sizes that take the threaded, chunked and recycled-workspace paths) on every thread.
    /// </summary>
    [Fact]
    public void Values_a_step_hands_out_never_change_afterwards()
    {
        var key = new Key(8);
        Layer model = new Linear(key.Fold(0), 784, 256) >> new ReLU() >> new Dropout(0.2) >> new Linear(key.Fold(1), 256, 10);
        var x = Tensor.Normal(key.Fold(2), new Shape(64, 784));
        var labels = Enumerable.Range(0, 64).Select(i => (long)(i % 10)).ToArray();
        var optimizer = Optimizers.AdamW(1e-3);
        var state = optimizer.Init(model);
        var first = Gradients.ValueAndGrad(model, x, y => Loss.CrossEntropy(y, labels), ForwardContext.Training(key.Fold(3)));
        (var next, state) = optimizer.Step(first, state);
        var handedOut = first.Gradient.NamedParameters().Tensors
            .Concat(next.NamedParameters().Tensors)
            .Concat(model.NamedParameters().Tensors)
            .Concat(OptimizerStates.ToTensors(state).Values)
            .Append(first.Output)
            .ToList();
        var copies = handedOut.Select(Copy).ToList();
        for (var i = 0; i < 20; i++)
            (next, state) = optimizer.Step(Gradients.ValueAndGrad(next, x, y => Loss.CrossEntropy(y, labels), ForwardContext.Training(key.Fold(10 + (ulong)i))), state);
        Assert.All(handedOut.Zip(copies, (value, copy) => value.BitwiseEquals(copy)), Assert.True);
    }

    private static Tensor Copy(Tensor t) => t.DType switch
    {
        DType.Float32 => Tensor.FromSpan(t.AsSpan<float>(), t.Shape),
        DType.Float64 => Tensor.FromSpan(t.AsSpan<double>(), t.Shape),
        _ => Tensor.FromSpan(t.AsSpan<long>(), t.Shape),
    };

    [Fact]
    public void The_step_is_typed_as_the_model_so_no_cast_is_needed()
    {
        Chain model = Model();
        var step = Gradients.ValueAndGrad(model, X, y => Loss.CrossEntropy(y, Labels), ForwardContext.Training(new Key(5)));
        Chain gradient = step.Gradient;
        Chain after = step.Model;
        Assert.Equal(model.NamedParameters().Names, gradient.NamedParameters().Names);
        Assert.Equal(1L, ((BatchNorm1d)after.Layers[1]).NumBatchesTracked!.Item<long>());
        Assert.Equal(new Shape(16, 3), step.Output.Shape);
    }

    [Fact]
    public void num_batches_tracked_is_int64_in_memory_and_in_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bn-{Guid.NewGuid():N}.safetensors");
        try
        {
            var trained = Gradients.ValueAndGrad(Model(), X, y => Loss.CrossEntropy(y, Labels), ForwardContext.Training(new Key(6))).Model;
            StateDict.Save(path, trained);
            var entry = SafeTensors.Load(path).Tensors["1.num_batches_tracked"];
            Assert.Equal((SafeTensorDType.I64, Shape.Scalar), (entry.DType, entry.Shape));
            var loaded = StateDict.Load(Model(), SafeTensors.Load(path));
            Assert.Equal((DType.Int64, 1L), (((BatchNorm1d)loaded.Layers[1]).NumBatchesTracked!.DType, ((BatchNorm1d)loaded.Layers[1]).NumBatchesTracked!.Item<long>()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_optimizer_state_built_for_float32_refuses_the_same_model_in_float64_naming_the_parameter()
    {
        var model = Model();
        var optimizer = Optimizers.Adam(0.1);
        var state = optimizer.Init(model);
        var wide = (Chain)model.To(DType.Float64);
        var step = Gradients.ValueAndGrad(wide, X.To(DType.Float64), y => Loss.CrossEntropy(y, Labels), ForwardContext.Training(new Key(7)));
        var e = Assert.Throws<ArgumentException>(() => optimizer.Step(step, state));
        Assert.Contains("The Adam state does not fit", e.Message, StringComparison.Ordinal);
        Assert.Contains("'0.weight' is float32 in the first and float64 in the second", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_optimizer_state_from_a_smaller_model_is_refused_naming_the_first_parameter_that_does_not_fit()
    {
        var small = new Linear(new Key(8), 6, 4) >> new ReLU() >> new Linear(new Key(9), 4, 3);
        var big = new Linear(new Key(8), 6, 8) >> new ReLU() >> new Linear(new Key(9), 8, 3);
        foreach (var optimizer in new[] { Optimizers.Adam(0.1), Optimizers.Sgd(0.1, momentum: 0.9) })
        {
            var state = optimizer.Init(small);
            var step = Gradients.ValueAndGrad(big, X, y => Loss.CrossEntropy(y, Labels), ForwardContext.Training(new Key(10)));
            (_, state) = optimizer.Step(Gradients.ValueAndGrad(small, X, y => Loss.CrossEntropy(y, Labels), ForwardContext.Training(new Key(10))), state);
            var e = Assert.Throws<ArgumentException>(() => optimizer.Step(step, state));
            Assert.Contains("'0.weight' is [4, 6] in the first and [8, 6] in the second", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Gradients_that_do_not_fit_the_parameters_are_refused()
    {
        var model = new Linear(new Key(11), 3, 2);
        var e = Assert.Throws<ArgumentException>(() => Optimizers.Sgd(0.1).Step(model, new Linear(new Key(12), 3, 2, bias: false), Optimizers.Sgd(0.1).Init(model)));
        Assert.Contains("The gradients do not fit the parameters", e.Message, StringComparison.Ordinal);
        Assert.Contains("'bias' is missing from the second", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_internal_span_accessor_checks_the_storage_type()
    {
        var t = Tensor.Ones(new Shape(4));
        Assert.Contains("A float32 tensor cannot be read as Double", Assert.Throws<InvalidOperationException>(() => t.Span<double>().Length).Message, StringComparison.Ordinal);
        Assert.Equal(4, t.Span<float>().Length);
    }
}
