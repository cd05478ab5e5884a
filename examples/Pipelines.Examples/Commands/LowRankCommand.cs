using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// Cheaper variants of a Linear layer on the digits — low-rank (W = U·V), masked (a fixed sparse pattern) — against the
/// full layer: parameters and test accuracy. Then LoRA: a model trained on the digits is adapted to mirrored digits by
/// training only rank-4 adapters while every pretrained weight stays frozen.
/// </summary>
public static class LowRankCommand
{
    public const string Description = "low-rank, masked (sparse) and LoRA variants: parameters and accuracy against the full layer; LoRA fine-tuning of a frozen model";

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("lowrank", line);
        var epochs = line.Int("epochs", 40);
        var (trainX, trainY, testX, testY) = DataSets.Digits();
        var k = new Key(61).Split(8);
        var mask = Tensor.Uniform(k[7], new Shape(256, 64)).ToFloat64Array().Select(u => u < 0.25 ? 1f : 0f).ToArray();
        var variants = new (string Name, Layer Hidden)[]
        {
            ("full Linear(64, 256)", new Linear(k[0], 64, 256)),
            ("low rank 8", LowRankLinear.Create(k[1], 64, 256, 8)),
            ("masked, 25 % dense", new MaskedLinear(new Linear(k[2], 64, 256), Tensor.FromArray(mask, 256, 64))),
        };
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, hidden) in variants)
        {
            var model = hidden >> new ReLU() >> new Linear(k[3], 256, 10);
            var trainer = new Trainer<Layer>(Optimizers.AdamW(2e-3), (y, t) => Loss.CrossEntropy(y, t), new TrainerOptions { BatchSize = 32, Epochs = epochs });
            var result = await trainer.Train(model, DataSource.FromTensors(trainX, trainY), new Key(62)).Completion;
            var effective = hidden is MaskedLinear ? (long)mask.Count(m => m != 0) + 256 : hidden.ParameterCount();
            rows.Add([name, effective.ToString("N0", CultureInfo.InvariantCulture), DigitsCommand.Accuracy(result.Model, testX, testY).ToString("P1", CultureInfo.InvariantCulture)]);
        }
        output.Table("The hidden layer's variants (the same head, the same training)", ["hidden layer", "parameters used", "test accuracy"], rows);

        // LoRA: pretrain on the digits, then adapt to mirrored digits with the pretrained weights frozen.
        Chain pretrained = new Linear(k[4], 64, 128) >> new ReLU() >> new Linear(k[5], 128, 10);
        pretrained = (await new Trainer<Chain>(Optimizers.AdamW(2e-3), (y, t) => Loss.CrossEntropy(y, t), new TrainerOptions { BatchSize = 32, Epochs = epochs })
            .Train(pretrained, DataSource.FromTensors(trainX, trainY), new Key(63)).Completion).Model;
        var (mirroredTrain, mirroredTest) = (Mirror(trainX), Mirror(testX));
        var before = DigitsCommand.Accuracy(pretrained, mirroredTest, testY);
        var adapted = new LoRA((Linear)pretrained.Layers[0], 4, k[6], alpha: 8) >> new ReLU() >> new LoRA((Linear)pretrained.Layers[2], 4, k[6].Fold(1), alpha: 8);
        var trainable = adapted.NamedParameters().Names.Where(n => n.Contains("lora", StringComparison.Ordinal)).ToHashSet();
        var lora = new Trainer<Chain>(Optimizers.Freeze(n => !trainable.Contains(n), Optimizers.AdamW(5e-3)), (y, t) => Loss.CrossEntropy(y, t), new TrainerOptions { BatchSize = 32, Epochs = epochs });
        var tuned = (await lora.Train(adapted, DataSource.FromTensors(mirroredTrain, trainY), new Key(64)).Completion).Model;
        var after = DigitsCommand.Accuracy(tuned, mirroredTest, testY);
        var unchanged = pretrained.NamedParameters().All(p => tuned.NamedParameters().Any(q => q.Key.EndsWith("base." + p.Key[(p.Key.IndexOf('.', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal) && q.Value.BitwiseEquals(p.Value)));
        output.Line(string.Create(CultureInfo.InvariantCulture, $"LoRA: {trainable.Sum(n => adapted.NamedParameters()[n].Count)} trainable parameters of {adapted.ParameterCount()}; pretrained weights unchanged: {unchanged}"));
        output.Result(string.Create(CultureInfo.InvariantCulture, $"lowrank: {string.Join("; ", rows.Select(r => $"{r[0]} {r[2]} with {r[1]} parameters"))}; LoRA on mirrored digits {before:P1} → {after:P1}"));
        return 0;
    }

    /// <summary>The 8×8 images mirrored left to right.</summary>
    private static Tensor Mirror(Tensor images)
    {
        var values = images.ToFloat32Array();
        var mirrored = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var (image, pixel) = (i / 64, i % 64);
            mirrored[i] = values[(image * 64) + ((pixel / 8) * 8) + (7 - (pixel % 8))];
        }
        return Tensor.FromArray(mirrored, images.Shape[0], 64);
    }
}
