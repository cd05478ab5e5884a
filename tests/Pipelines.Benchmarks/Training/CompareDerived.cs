using Pipelines.Autodiff;
using Pipelines.Kernels;
using Pipelines.Kernels.Threading;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Tensors;

namespace Pipelines.Benchmarks.Training;

/// <summary>
/// <c>compare-derived [attention] [--rounds N] [--one-thread]</c> (<c>attention</c>: that row alone): the gradient step (forward, loss, backward) of forward-only layers
/// against the same networks with hand-fused backward passes, in alternating rounds, medians: a gated linear unit
/// (hand-written as the examples had it, against <see cref="DerivedLayer"/>), and the 784-256-128-10 MLP as a chain of
/// the library's layers, as a forward-only composite of the same Linears, and as forward-only networks of operations
/// alone (<see cref="Variable.Linear"/>, or MatMul of a transpose plus a bias; parameters; ReLU). Then
/// <see cref="MultiheadAttention"/> against PyTorch's (forward and backward, Reference/torch_attention.py), and what the tape costs per operation: recording (forward with the tape
/// against the same operations on tensors) and the backward walk, on a 16-element tensor where the arithmetic is nothing.
/// </summary>
internal static class CompareDerived
{
    public static int Run(string[] args)
    {
        var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(3);
        var attentionOnly = args.Contains("attention");
        var threads = args.Contains("--one-thread") ? 1 : Environment.ProcessorCount;
        var previous = ThreadBudget.MaxThreads;
        ThreadBudget.MaxThreads = threads;
        try
        {
            if (attentionOnly)
            {
                Attention(threads, rounds);
                return 0;
            }
            var cases = Cases();
            var times = cases.ToDictionary(c => c.Name, _ => (Fused: new List<double>(), Derived: new List<double>()));
            for (var round = 0; round < rounds; round++)
            {
                foreach (var c in cases)
                {
                    times[c.Name].Fused.Add(Timing.MedianMicroseconds(c.Fused));
                    times[c.Name].Derived.Add(Timing.MedianMicroseconds(c.Derived));
                }
            }
            Console.WriteLine($"{threads} thread(s), {rounds} rounds alternating, medians; a gradient step is forward + loss + backward");
            Console.WriteLine($"{"case",-34} {"fused µs",10} {"derived µs",11} {"derived/fused",14}");
            foreach (var c in cases)
            {
                var (fused, derived) = (Timing.Median(times[c.Name].Fused), Timing.Median(times[c.Name].Derived));
                Console.WriteLine($"{c.Name,-34} {fused,10:F1} {derived,11:F1} {derived / fused,14:F3}");
            }
            Attention(threads, rounds);
            TapeCost();
            return 0;
        }
        finally
        {
            ThreadBudget.MaxThreads = previous;
        }
    }

    private static List<(string Name, Action Fused, Action Derived)> Cases()
    {
        var key = new Key(1);
        var x = Tensor.Normal(key.Fold(1), new Shape(256, 512));
        var target = Tensor.Normal(key.Fold(2), new Shape(256, 512));
        var (value, gate) = (new Linear(key.Fold(3), 512, 512), new Linear(key.Fold(4), 512, 512));
        var hand = new HandGatedLinearUnit(value, gate);
        var derived = new GatedLinearUnit(value, gate);
        var images = Tensor.Normal(key.Fold(5), new Shape(256, 784));
        var labels = Tensor.FromArray([.. Enumerable.Range(0, 256).Select(i => (long)(i % 10))], 256);
        var (l1, l2, l3) = (new Linear(key.Fold(6), 784, 256), new Linear(key.Fold(7), 256, 128), new Linear(key.Fold(8), 128, 10));
        var chain = l1 >> new ReLU() >> l2 >> new ReLU() >> l3;
        var composite = new MlpOfLinears(l1, l2, l3);
        var operations = new MlpOfOperations(l1.Weight, l1.Bias!, l2.Weight, l2.Bias!, l3.Weight, l3.Bias!, Functional: true);
        var products = operations with { Functional = false };
        var context = ForwardContext.Training(new Key(9));
        Action Step(Layer model, Tensor input, Func<Tensor, LossValue> loss) => () => Gradients.ValueAndGrad(model, input, loss, context);
        return
        [
            ("glu_512_batch_256", Step(hand, x, y => Loss.MeanSquaredError(y, target)), Step(derived, x, y => Loss.MeanSquaredError(y, target))),
            ("mlp_784_256_128_10_composite", Step(chain, images, y => Loss.CrossEntropy(y, labels)), Step(composite, images, y => Loss.CrossEntropy(y, labels))),
            ("mlp_784_256_128_10_linear_ops", Step(chain, images, y => Loss.CrossEntropy(y, labels)), Step(operations, images, y => Loss.CrossEntropy(y, labels))),
            ("mlp_784_256_128_10_matmul_ops", Step(chain, images, y => Loss.CrossEntropy(y, labels)), Step(products, images, y => Loss.CrossEntropy(y, labels))),
        ];
    }

    /// <summary>
    /// MultiheadAttention (batch 32, sequence 64, model 256, 8 heads, batch first) forward, the output's sum and the
    /// backward, against PyTorch 1.13's nn.MultiheadAttention doing the same, in alternating rounds.
    /// </summary>
    private static void Attention(int threads, int rounds)
    {
        const int Batch = 32, Length = 64, Embed = 256, Heads = 8;
        var attention = new MultiheadAttention(new Key(11), Embed, Heads, batchFirst: true);
        var x = Tensor.Normal(new Key(12), new Shape(Batch, Length, Embed));
        var context = ForwardContext.Training(new Key(13));
        var request = new System.Text.Json.Nodes.JsonObject { ["threads"] = threads, ["batch"] = Batch, ["length"] = Length, ["embed"] = Embed, ["heads"] = Heads };
        var (ours, theirs) = (new List<double>(), new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            ours.Add(Timing.MedianMicroseconds(() =>
            {
                var traced = attention.Forward(x, context);
                attention.Backward(traced.Trace, Tensor.Ones(traced.Output.Shape));
            }));
            foreach (var row in PythonReference.Run("torch_attention.py", request, new Dictionary<string, string> { ["OMP_WAIT_POLICY"] = "PASSIVE" }, "apt-get install python3-torch python3-numpy libopenblas0-pthread"))
                theirs.Add((double)row["us"]!);
        }
        var reference = theirs.Count > 0 ? Timing.Median(theirs) : double.NaN;
        Console.WriteLine($"{"multihead_attention_32x64x256_h8",-34} {"ours µs",10} {"torch µs",11} {"ours/torch",14}");
        Console.WriteLine($"{string.Empty,-34} {Timing.Median(ours),10:F1} {reference,11:F1} {Timing.Median(ours) / reference,14:F3}");
    }

    /// <summary>What the tape adds per operation, on a tensor so small that the arithmetic costs next to nothing.</summary>
    private static void TapeCost()
    {
        const int Operations = 200;
        var x = Tensor.Normal(new Key(10), new Shape(16));
        var chain = new OperationChain(Operations);
        var plain = Timing.MedianMicroseconds(() =>
        {
            var y = x;
            for (var i = 0; i < Operations; i++)
                y = (y * 0.999) + 0.001;
        });
        var recorded = Timing.MedianMicroseconds(() => chain.Forward(x, ForwardContext.Evaluation));
        var traced = chain.Forward(x, ForwardContext.Evaluation);
        var dy = Tensor.Ones(traced.Output.Shape);
        var backward = Timing.MedianMicroseconds(() => chain.Backward(traced.Trace, dy));
        var steps = 2 * Operations;
        Console.WriteLine($"tape, per operation on [16]: plain tensor op {plain * 1000 / steps:F0} ns, recorded {recorded * 1000 / steps:F0} ns (+{(recorded - plain) * 1000 / steps:F0} ns), backward {backward * 1000 / steps:F0} ns");
    }

    private sealed record OperationChain(int Operations) : DerivedLayer
    {
        protected override Variable Forward(Variable x, Tape tape)
        {
            var y = x;
            for (var i = 0; i < Operations; i++)
                y = (y * 0.999) + 0.001;
            return y;
        }
    }
}

/// <summary>The gated linear unit with its backward written by hand, as examples/UserLayer had it.</summary>
internal sealed record HandGatedLinearUnit(Linear Value, Linear Gate) : Layer
{
    public override LayerParts Parts => new() { Children = [("value", Value), ("gate", Gate)] };

    protected override Layer Rebuild(LayerParts parts) => new HandGatedLinearUnit(parts.Child<Linear>("value"), parts.Child<Linear>("gate"));

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var value = Value.Forward(x, context.Child("value"));
        var gate = Gate.Forward(x, context.Child("gate"));
        var open = Activations.Sigmoid(gate.Output);
        return new Traced(value.Output * open, new GluTrace(value.Trace, gate.Trace, value.Output, open), this);
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var t = Expect<GluTrace>(trace);
        var (dxValue, gValue) = Value.Backward(t.Value, dy * t.Open, inputGradient);
        var (dxGate, gGate) = Gate.Backward(t.Gate, Activations.SigmoidBackward(t.Open, dy * t.ValueOutput), inputGradient);
        return (inputGradient ? dxValue! + dxGate! : null, new HandGatedLinearUnit((Linear)gValue, (Linear)gGate));
    }

    private sealed record GluTrace(Trace Value, Trace Gate, Tensor ValueOutput, Tensor Open) : Trace;
}

/// <summary>The gated linear unit forward-only.</summary>
internal sealed partial record GatedLinearUnit(Linear Value, Linear Gate) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape) => tape.Call(Value, x) * tape.Call(Gate, x).Sigmoid();
}

/// <summary>The MLP as a forward-only composite of the library's Linears.</summary>
internal sealed partial record MlpOfLinears(Linear First, Linear Second, Linear Third) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape) => tape.Call(Third, tape.Call(Second, tape.Call(First, x).Relu()).Relu());
}

/// <summary>The MLP from operations alone: x·Wᵀ + b as <see cref="Variable.Linear"/>, or as a product with a transpose and a broadcast sum.</summary>
internal sealed partial record MlpOfOperations(Tensor W1, Tensor B1, Tensor W2, Tensor B2, Tensor W3, Tensor B3, bool Functional) : DerivedLayer
{
    protected override Variable Forward(Variable x, Tape tape)
    {
        Variable Dense(Variable h, Tensor w, Tensor b) => Functional
            ? Variable.Linear(h, tape.Parameter(w), tape.Parameter(b))
            : Variable.MatMul(h, tape.Parameter(w).Transpose()) + tape.Parameter(b);
        return Dense(Dense(Dense(x, W1, B1).Relu(), W2, B2).Relu(), W3, B3);
    }
}
