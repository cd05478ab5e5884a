using Pipelines.Layers;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Optim;

/// <summary>
/// A step handed its parameters and state to write over (as the trainer hands those it made) allocates no parameter or
/// moment memory, through a chain as well as bare; what it wrote over can no longer be read through the old tensors.
/// </summary>
public sealed class InPlaceStepTests
{
    private static Chain Model() => new Linear(new Key(1), 512, 256) >> new ReLU() >> new Linear(new Key(2), 256, 10);

    /// <summary>
    /// The least bytes a given-up step allocates on this thread over a few (the first cannot write over the first state's
    /// moments, which share one zero tensor). The step allocates its results on the calling thread, and counting this
    /// thread alone keeps tests running beside it out of the figure.
    /// </summary>
    private static long StepBytes(GradientTransformation optimizer)
    {
        var model = Model();
        var gradient = model.MapParameters((_, p) => Tensor.Full(p.Shape, 1e-3f));
        var state = optimizer.Init(model);
        var least = long.MaxValue;
        for (var step = 0; step < 12; step++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            (model, state) = optimizer.Step(model, gradient, state, giveUp: true);
            least = step == 0 ? least : Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    [Fact]
    public void A_chained_AdamW_allocates_what_a_bare_one_does()
    {
        var parameterBytes = Model().NamedParameters().Tensors.Sum(t => (long)t.Count * sizeof(float));
        var bare = StepBytes(Optimizers.AdamW(1e-3));
        var identity = StepBytes(Optimizers.Chain(Optimizers.Identity, Optimizers.AdamW(1e-3)));
        var chained = StepBytes(Optimizers.Chain(Optimizers.ClipByGlobalNorm(1e9), Optimizers.AdamW(1e-3)));
        Assert.True(bare < parameterBytes / 8, $"a bare AdamW step allocated {bare} bytes for {parameterBytes} bytes of parameters");
        Assert.True(chained <= bare + 4096, $"a chained AdamW step allocated {chained} bytes, a bare one {bare}");
        Assert.True(identity <= bare + 1024, $"Chain(Identity, AdamW) allocated {identity} bytes a step, a bare AdamW {bare}");
    }

    [Fact]
    public void A_step_written_over_its_inputs_leaves_the_old_tensors_unreadable_and_the_new_ones_new()
    {
        var optimizer = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.AdamW(1e-3));
        var model = Model();
        var gradient = model.MapParameters((_, p) => Tensor.Full(p.Shape, 1e-3f));
        var state = optimizer.Init(model);
        (model, state) = optimizer.Step(model, gradient, state, giveUp: true);
        var (old, oldState) = (model, state);
        (model, state) = optimizer.Step(model, gradient, state, giveUp: true);
        var pairs = old.NamedParameters().Tensors.Zip(model.NamedParameters().Tensors).ToList();
        Assert.All(pairs, pair => Assert.NotSame(pair.First, pair.Second));
        Assert.All(pairs, pair => Assert.Same(pair.First.Storage, pair.Second.Storage));
        Assert.Throws<InvalidOperationException>(() => old.Forward(Tensor.Zeros(new Shape(1, 512))));
        Assert.All(OptimizerStates.ToTensors(oldState).Values.Where(t => t.Rank > 0), t => Assert.Throws<InvalidOperationException>(() => t.AsSpan<float>()));
        Assert.Equal(new Shape(1, 10), model.Forward(Tensor.Zeros(new Shape(1, 512))).Shape);
    }
}
