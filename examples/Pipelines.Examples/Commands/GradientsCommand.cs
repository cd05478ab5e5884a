using System.Globalization;
using Pipelines.Autodiff;
using Pipelines.Diagnostics;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// Three things gradients do in deep stacks of Linear layers: vanish through sigmoids (and not through ReLUs), explode
/// when weights are too large (and are tamed by clipping the global norm), and turn NaN — which the non-finite guard
/// traces to the layer that produced it.
/// </summary>
public static class GradientsCommand
{
    public const string Description = "vanishing gradients (sigmoid vs ReLU, per-layer norms as a PNG), exploding ones tamed by clipping, the non-finite guard";

    private const int Depth = 10;

    public static Task<int> Run(CommandLine line)
    {
        var output = new Output("gradients", line);
        var (trainX, trainY, _, _) = DataSets.Digits();
        var (x, y) = (trainX[..128], trainY[..128]);
        var sigmoid = Norms(Stack(key => new Sigmoid()), x, y);
        var relu = Norms(Stack(key => new ReLU()), x, y);
        var labels = Enumerable.Range(0, Depth).Select(i => (i + 1).ToString(CultureInfo.InvariantCulture)).ToArray();
        var plot = Plots.Lines(labels, [sigmoid, relu], ["sigmoid", "ReLU"], output.File("gradient-norms.png"), "Weight-gradient norm per layer of a 10-layer stack", "layer (input side first)", "‖∂L/∂W‖", logScale: true);
        output.Table("Weight-gradient norm per layer (layer 1 is the input side)", ["layer", "sigmoid", "ReLU"], labels.Select((l, i) => (IReadOnlyList<string>)[l, sigmoid[i].ToString("E2", CultureInfo.InvariantCulture), relu[i].ToString("E2", CultureInfo.InvariantCulture)]));

        // Exploding: the same stack with every weight three times too large, one step before and after clipping.
        var large = Stack(key => new ReLU()).MapParameters((name, p) => name.EndsWith("weight", StringComparison.Ordinal) ? p * 3 : p);
        var step = Gradients.ValueAndGrad(large, x, o => Loss.CrossEntropy(o, y), ForwardContext.Training(new Key(1)));
        var clip = Optimizers.ClipByGlobalNorm(1.0);
        var (clipped, _) = clip.Update(step.Gradient, clip.Init(large), large);
        var (before, after) = (GlobalNorm(step.Gradient.NamedParameters()), GlobalNorm(clipped));
        output.Line(string.Create(CultureInfo.InvariantCulture, $"Weights ×3: the gradient's global norm is {before:E2}; ClipByGlobalNorm(1) scales it to {after:F3}"));

        // NaN: one weight of layer 6 made NaN; the guard names the first layer whose output is not finite.
        var broken = Stack(key => new ReLU()).MapParameters((name, p) => name == "10.weight" ? p * double.NaN : p);
        var finding = NonFiniteGuard.Check(broken, x, o => Loss.CrossEntropy(o, y), ForwardContext.Training(new Key(2)));
        output.Line($"Non-finite guard on a stack with a NaN weight: {finding?.Where} of {finding?.LayerType} '{finding?.Path}' ({finding?.Detail})");
        output.Line($"Per-layer norms: {plot}");
        output.Result(string.Create(CultureInfo.InvariantCulture, $"gradients: input-side/output-side norm ratio {sigmoid[0] / sigmoid[^1]:E1} through sigmoids, {relu[0] / relu[^1]:E1} through ReLUs; clipping {before:E1} → {after:F2}; NaN first at layer '{finding?.Path}'"));
        return Task.FromResult(0);
    }

    /// <summary>Ten Linear(64/32 → 32) layers with an activation after each but the last, and a classifier head.</summary>
    private static Layer Stack(Func<Key, Layer> activation)
    {
        var keys = new Key(5).Split(Depth + 1);
        Layer model = new Linear(keys[0], 64, 32) >> activation(keys[0]);
        for (var i = 1; i < Depth; i++)
            model = model >> new Linear(keys[i], 32, 32) >> activation(keys[i]);
        return model >> new Linear(keys[Depth], 32, 10);
    }

    /// <summary>‖∂L/∂W‖ of each of the stack's first <see cref="Depth"/> Linear layers, input side first.</summary>
    private static double[] Norms(Layer model, Tensor x, Tensor y)
    {
        var gradient = Gradients.ValueAndGrad(model, x, o => Loss.CrossEntropy(o, y), ForwardContext.Training(new Key(3))).Gradient.NamedParameters();
        return [.. gradient.Where(e => e.Key.EndsWith("weight", StringComparison.Ordinal)).Take(Depth).Select(e => Math.Sqrt((e.Value * e.Value).Sum().Item()))];
    }

    private static double GlobalNorm(NamedTensors tensors) => Math.Sqrt(tensors.Tensors.Sum(t => (t * t).Sum().Item()));
}
