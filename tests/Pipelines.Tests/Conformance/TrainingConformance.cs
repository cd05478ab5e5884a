using System.Globalization;
using Pipelines.Autodiff;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// <c>mlp_train.safetensors</c>: the MLP of <c>mlp.safetensors</c> in float64 gives PyTorch's logits, cross-entropy loss,
/// every parameter gradient, <c>clip_grad_norm_(0.5)</c>, and the parameters after 3 steps of each optimizer in the file.
/// </summary>
public sealed class TrainingConformance
{
    private const string FileName = "mlp_train.safetensors";
    private const string OptionsFileName = "mlp_train_options.safetensors";

    [Fact]
    public void Logits_loss_and_every_gradient_match_PyTorch()
    {
        var (file, model, x, targets) = Load();
        AssertClose(file.Tensor("logits"), model.Forward(x), "logits");
        var result = Gradients.ValueAndGrad(model, x, logits => Loss.CrossEntropy(logits, targets), ForwardContext.Training(new Key(0)));
        Assert.Equal(file.Tensor("loss").Item(), result.Value, 12);
        foreach (var (name, gradient) in result.Gradient.NamedParameters())
            AssertClose(file.Tensor($"grad.{name}"), gradient, $"grad.{name}");
        Assert.Equal(model.NamedParameters().Count, file.Tensors.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)));
    }

    [Fact]
    public void Clip_grad_norm_returns_the_total_norm_and_scales_like_PyTorch()
    {
        var (file, model, x, targets) = Load();
        var gradient = Gradients.ValueAndGrad(model, x, logits => Loss.CrossEntropy(logits, targets), ForwardContext.Training(new Key(0))).Gradient;
        var (clipped, total) = Clip.GradNorm(gradient, 0.5);
        Assert.Equal(file.Tensor("clip_0.5.total_norm").Item(), total, 12);
        foreach (var (name, g) in clipped.NamedParameters())
            AssertClose(file.Tensor($"clip_0.5.grad.{name}"), g, $"clip_0.5.grad.{name}");
    }

    /// <summary>
    /// The runs in the files: the prefixes of keys that end in a parameter name, other than the gradients, in
    /// <c>mlp_train.safetensors</c> and in <c>mlp_train_options.safetensors</c> (AMSGrad, dampening: made by <c>Golden/generate.py</c>).
    /// </summary>
    public static TheoryData<string, string> OptimizerRuns()
    {
        var parameters = GoldenFiles.Load("mlp.safetensors").Tensors.Keys.ToList();
        var data = new TheoryData<string, string>();
        foreach (var fileName in new[] { FileName, OptionsFileName })
        {
            var runs = GoldenFiles.Load(fileName).Tensors.Keys
                .SelectMany(key => parameters.Where(p => key.EndsWith("." + p, StringComparison.Ordinal)).Select(p => key[..^(p.Length + 1)]))
                .Where(prefix => prefix is not ("grad" or "clip_0.5.grad"))
                .Distinct()
                .Order(StringComparer.Ordinal);
            foreach (var run in runs)
                data.Add(fileName, run);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OptimizerRuns))]
    public void Parameters_after_the_optimizer_steps_match_PyTorch(string fileName, string run)
    {
        var (_, model, x, targets) = Load();
        var file = GoldenFiles.Load(fileName);
        var (optimizer, steps) = Parse(run);
        var state = optimizer.Init(model);
        for (var step = 0; step < steps; step++)
        {
            var gradient = Gradients.ValueAndGrad(model, x, logits => Loss.CrossEntropy(logits, targets), ForwardContext.Training(new Key(0))).Gradient;
            (var updates, state) = optimizer.Update(gradient, state, model);
            model = Gradients.ApplyUpdates(model, updates);
        }
        foreach (var (name, parameter) in model.NamedParameters())
            AssertClose(file.Tensor($"{run}.{name}"), parameter, $"{run}.{name}");
    }

    /// <summary>
    /// An optimizer from its name in the file, e.g. <c>sgd_momentum0.9_nesterov_wd1e-4_3steps</c>, <c>adamw_lr1e-3_wd1e-2_3steps</c>,
    /// <c>adam_lr1e-2_amsgrad_3steps</c> or <c>sgd_lr1e-1_momentum0.9_dampening0.3_3steps</c>.
    /// A name without <c>lr</c> means 0.1 for SGD, the rate the generating script gives every SGD run.
    /// </summary>
    private static (GradientTransformation Optimizer, int Steps) Parse(string run)
    {
        var tokens = run.Split('_');
        double Value(string prefix, double fallback) =>
            tokens.FirstOrDefault(t => t.StartsWith(prefix, StringComparison.Ordinal) && t.Length > prefix.Length && (char.IsDigit(t[prefix.Length]) || t[prefix.Length] == '.')) is { } token
                ? double.Parse(token[prefix.Length..], CultureInfo.InvariantCulture)
                : fallback;
        var steps = int.Parse(tokens[^1].Replace("steps", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
        return tokens[0] switch
        {
            "sgd" => (Optimizers.Sgd(Value("lr", 0.1), Value("momentum", 0), tokens.Contains("nesterov"), Value("wd", 0), Value("dampening", 0)), steps),
            "adam" => (Optimizers.Adam(Value("lr", 1e-3), weightDecay: Value("wd", 0), amsgrad: tokens.Contains("amsgrad")), steps),
            "adamw" => (Optimizers.AdamW(Value("lr", 1e-3), weightDecay: Value("wd", 1e-2), amsgrad: tokens.Contains("amsgrad")), steps),
            _ => throw new Xunit.Sdk.XunitException($"The golden file has optimizer run '{run}', which this suite cannot parse."),
        };
    }

    private static (SafeTensorsFile File, Chain Model, Tensor X, long[] Targets) Load()
    {
        var file = GoldenFiles.Load(FileName);
        var weights = GoldenFiles.Load("mlp.safetensors");
        var model = StateDict.Load((Chain)MlpConformance.ModelShapedLike(weights).MapParameters((_, p) => p.To(DType.Float64)), weights);
        return (file, model, file.Tensor("x").To(DType.Float64), file.Tensors["target"].ToInt64Array());
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what) =>
        Assert.True(actual.AllClose(expected, rtol: 1e-10, atol: 1e-12), $"{what} differs from PyTorch by {actual.MaxAbsDifference(expected):E2}.");
}
