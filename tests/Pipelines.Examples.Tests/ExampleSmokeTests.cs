using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Pipelines.Examples.Commands;
using Xunit;

namespace Pipelines.Examples.Tests;

/// <summary>
/// Every subcommand on a reduced budget, asserting its key result from its RESULT line (full-budget accuracies are the
/// commands' own business, not CI's). One class, so the tests run one after another and share the console.
/// </summary>
public sealed partial class ExampleSmokeTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("pipelines-examples-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public void Digits_reaches_90_percent_after_a_short_run_and_writes_its_model_and_curves()
    {
        var result = Run(DigitsCommand.Run, "--epochs", "15");
        Assert.True(Percent(result, "test accuracy") > 90, result);
        Assert.True(File.Exists(Path.Combine(_out, "digits.safetensors")));
        Assert.Equal((900, 550), PngSize(Path.Combine(_out, "digits-curves.png")));
    }

    [Fact]
    public void Binary_separates_the_classes()
    {
        var result = Run(BinaryCommand.Run, "--epochs", "20");
        Assert.True(Number(result, "ROC-AUC") > 0.9, result);
    }

    [Fact]
    public void Regression_explains_some_variance()
    {
        var result = Run(RegressionCommand.Run, "--epochs", "40");
        Assert.True(Number(result, "held-out R²") > 0.2, result);
    }

    [Fact]
    public void Multilabel_scores_each_label()
    {
        var result = Run(MultilabelCommand.Run, "--epochs", "10");
        Assert.Equal(3, F1().Count(result));
        Assert.All(F1().Matches(result), m => Assert.True(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) > 0.8, result));
    }

    [Fact]
    public void The_autoencoders_error_falls_and_its_reconstructions_are_drawn()
    {
        var result = Run(AutoencoderCommand.Run, "--epochs", "5");
        var errors = Numbers(result);
        Assert.True(errors[1] < errors[0], result);
        Assert.Equal((960, 160), PngSize(Path.Combine(_out, "autoencoder-reconstructions.png")));
    }

    [Fact]
    public void The_VAEs_loss_falls_and_its_samples_are_drawn()
    {
        var result = Run(VaeCommand.Run, "--epochs", "5");
        var losses = Numbers(result);
        Assert.True(losses[1] < losses[0], result);
        Assert.Equal((720, 280), PngSize(Path.Combine(_out, "vae-samples.png")));
    }

    [Fact]
    public void The_GANs_losses_stay_finite_and_its_samples_are_drawn()
    {
        var result = Run(GanCommand.Run, "--epochs", "2");
        Assert.Equal(2, Numbers(result).Length);
        Assert.All(Numbers(result), v => Assert.True(double.IsFinite(v), result));
        Assert.True(File.Exists(Path.Combine(_out, "gan-samples.png")));
        Assert.Equal((900, 550), PngSize(Path.Combine(_out, "gan-losses.png")));
    }

    [Fact]
    public void The_transformer_learns_to_reverse()
    {
        var result = Run(TransformerCommand.Run, "--epochs", "12");
        Assert.True(Percent(result, "untrained") > 50, result);
    }

    [Fact]
    public void Projection_puts_images_near_their_labels()
    {
        var result = Run(ProjectionCommand.Run, "--epochs", "5");
        Assert.True(Percent(result, "correct for") > 50, result);
    }

    [Fact]
    public void LowRank_compares_variants_and_LoRA_adapts_a_frozen_model()
    {
        var result = Run(LowRankCommand.Run, "--epochs", "5");
        Assert.Contains("low rank 8", result, StringComparison.Ordinal);
        Assert.Matches(@"LoRA on mirrored digits \d+\.\d % → \d+\.\d %", result);
    }

    [Fact]
    public void Gradients_vanish_through_sigmoids_and_the_guard_names_the_layer()
    {
        var result = Run(GradientsCommand.Run);
        Assert.Contains("NaN first at layer '10'", result, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_out, "gradient-norms.png")));
    }

    [Fact]
    public void Inspect_draws_its_heat_map_and_histogram()
    {
        Run(InspectCommand.Run, "--epochs", "3");
        Assert.Equal((900, 600), PngSize(Path.Combine(_out, "first-layer-weights.png")));
        Assert.Equal((900, 550), PngSize(Path.Combine(_out, "hidden-activations.png")));
    }

    [Fact]
    public void Serving_gives_bitwise_the_single_answers()
    {
        var result = Run(ServeCommand.Run, "--requests", "2000");
        Assert.Contains("batched answers bitwise the single ones: True", result, StringComparison.Ordinal);
    }

    [Fact]
    public void Fashion_trains_when_the_data_is_there_and_says_how_to_get_it_when_not()
    {
        var missing = RunAll(FashionCommand.Run, "--data", Path.Combine(_out, "nowhere"));
        Assert.Contains("apt-get install dataset-fashion-mnist", missing, StringComparison.Ordinal);
        if (!Directory.Exists("/usr/share/datasets/fashion-mnist"))
            return;
        var result = Run(FashionCommand.Run, "--epochs", "1", "--train-rows", "6000");
        Assert.True(Percent(result, "test accuracy") > 70, result);
    }

    /// <summary>Runs a command in plain mode into the temporary folder and returns its RESULT line.</summary>
    private string Run(Func<CommandLine, Task<int>> command, params string[] args)
    {
        var all = RunAll(command, args);
        return all.Split('\n').Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
    }

    private string RunAll(Func<CommandLine, Task<int>> command, params string[] args)
    {
        var previous = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            command(new CommandLine([.. args, "--plain", "--out", _out])).GetAwaiter().GetResult();
        }
        finally
        {
            Console.SetOut(previous);
        }
        return captured.ToString();
    }

    private static double Percent(string line, string after) =>
        double.Parse(PercentPattern().Match(line[(line.IndexOf(after, StringComparison.Ordinal) + after.Length)..]).Groups[1].Value, CultureInfo.InvariantCulture);

    private static double Number(string line, string after) =>
        double.Parse(NumberPattern().Match(line[(line.IndexOf(after, StringComparison.Ordinal) + after.Length)..]).Value, CultureInfo.InvariantCulture);

    /// <summary>The line's numbers with a decimal point (losses and errors, not epoch counts).</summary>
    private static double[] Numbers(string line) => [.. NumberPattern().Matches(line).Where(m => m.Value.Contains('.', StringComparison.Ordinal)).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture))];

    /// <summary>A PNG's width and height from its IHDR chunk: the file exists and is a PNG of that size.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?) %")]
    private static partial Regex PercentPattern();

    [GeneratedRegex(@"-?\d+(?:\.\d+)?(?:E[+-]?\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@" (\d\.\d{3})(?:,|$)")]
    private static partial Regex F1();
}
