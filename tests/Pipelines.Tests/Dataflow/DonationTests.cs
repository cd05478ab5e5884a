using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>
/// The trainer's donation rule caught when broken: a layer that keeps the gradient its backward returned fails with an
/// error that says so, and one that keeps a view of it reads the poison instead of another step's numbers.
/// </summary>
public sealed class DonationTests
{
    private static Trainer<Chain> Trainer(int workers, int microBatches) => new(
        Optimizers.AdamW(1e-2),
        (y, t) => Loss.CrossEntropy(y, t),
        new TrainerOptions { BatchSize = 16, Epochs = 2, Workers = workers, MicroBatches = microBatches, PoisonDonations = true });

    private static Chain Model(Keeper keeper) =>
        new Linear(new Key(7), TrainingData.Features, 16) >> new Keeping(Tensor.Ones(new Shape(16)), keeper) >> new Linear(new Key(8), 16, TrainingData.Classes);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    public async Task A_layer_that_keeps_its_gradient_fails_naming_the_rule(int workers, int microBatches)
    {
        var run = Trainer(workers, microBatches).Train(Model(new Keeper()), TrainingData.Source(64), new Key(1));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run.Completion);
        Assert.Contains("must not keep the gradients its backward returns", error.Message);
    }

    [Fact]
    public async Task A_layer_that_keeps_a_view_of_its_gradient_reads_the_poison()
    {
        var run = Trainer(1, 1).Train(Model(new Keeper { KeepsView = true }), TrainingData.Source(64), new Key(1));
        await Assert.ThrowsAsync<NonFiniteLossException>(() => run.Completion);
    }

    [Fact]
    public async Task The_same_layer_that_only_reads_this_passs_values_trains()
    {
        var keeper = new Keeper { Reads = false };
        var result = await Trainer(2, 2).Train(Model(keeper), TrainingData.Source(64), new Key(1)).Completion;
        Assert.Equal(8, result.Steps);
    }

    /// <summary>Where a <see cref="Keeping"/> layer puts the last gradient it returned (a mutable box, as a careless user's cache would be).</summary>
    private sealed class Keeper
    {
        public bool KeepsView { get; init; }

        public bool Reads { get; init; } = true;

        public Tensor? Last { get; set; }
    }

    /// <summary>y = x ⊙ w, plus 0 × (the sum of the last gradient it returned): a value that must never matter, read from memory the rule gave away.</summary>
    private sealed record Keeping(Tensor Weight, Keeper Keeper) : Layer
    {
        public override LayerParts Parts => new() { Parameters = [("weight", Weight)] };

        protected override Layer Rebuild(LayerParts parts) => new Keeping(parts.Parameter("weight"), Keeper);

        protected override Traced ForwardCore(Tensor x, ForwardContext context)
        {
            var y = x * Weight;
            if (Keeper.Reads && Keeper.Last is { } last)
                y += last.Sum() * 0;
            return new Traced(y, new InputTrace(x), this);
        }

        protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
        {
            var x = Expect<InputTrace>(trace).Input;
            var gradient = (dy * x).Sum(0);
            lock (Keeper)
                Keeper.Last = Keeper.KeepsView ? gradient.Reshape(1, gradient.Count)[0] : gradient;
            return (inputGradient ? dy * Weight : null, new Keeping(gradient, Keeper));
        }
    }
}
