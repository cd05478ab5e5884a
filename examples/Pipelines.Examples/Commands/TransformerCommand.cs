using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Examples.Layers;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// A one-block transformer on [batch, sequence] digit tokens: token and position embeddings, the package's
/// TransformerEncoderLayer (multi-head self-attention and the feed-forward block, PyTorch's layer) and a Linear to the
/// ten digits. It learns to reverse sequences of 8 digits, which only attention can do (each output position must read
/// another input position).
/// </summary>
public static class TransformerCommand
{
    public const string Description = "token and position embeddings, a TransformerEncoderLayer (multi-head attention, feed-forward) on [batch, seq, d_model]: learning to reverse digit sequences";

    private const int Length = 8;
    private const int Model = 32;

    public static async Task<int> Run(CommandLine line)
    {
        var output = new Output("transformer", line);
        var epochs = line.Int("epochs", 40);
        var (trainX, trainY) = Sequences(new Key(91), 2048);
        var (testX, testY) = Sequences(new Key(92), 256);
        var k = new Key(93).Split(4);
        var block = new TokensAndPositions(new Embedding(k[0], 10, Model), new Embedding(k[1], Length, Model))
                  >> new TransformerEncoderLayer(k[2], Model, nhead: 4, dimFeedforward: 4 * Model, dropout: 0, activation: TransformerActivation.Gelu, batchFirst: true, normFirst: true)
                  >> new Linear(k[3], Model, 10);
        ShowShapes(output, block, testX[..2]);
        var trainer = new Trainer<Chain>(Optimizers.AdamW(3e-3), TokenLoss, new TrainerOptions { BatchSize = 32, Epochs = epochs, Validation = DataSource.FromTensors(testX, testY) });
        var (result, _) = await TrainingProgress.Follow(trainer.Train(block, DataSource.FromTensors(trainX, trainY), new Key(94)), epochs, output);
        var before = TokenAccuracy(block, testX, testY);
        var after = TokenAccuracy(result.Model, testX, testY);
        output.Result(string.Create(CultureInfo.InvariantCulture, $"transformer: reversing 8-digit sequences, test token accuracy {before:P1} untrained, {after:P1} after {epochs} epochs"));
        return 0;
    }

    /// <summary>Cross-entropy over every position: [batch, sequence, 10] scores against [batch, sequence] digits.</summary>
    public static LossValue TokenLoss(Tensor scores, Tensor targets)
    {
        var flat = Loss.CrossEntropy(scores.Reshape(-1, 10), targets.Reshape(-1));
        return flat with { Gradient = flat.Gradient.Reshape(scores.Shape) };
    }

    /// <summary>Random digit sequences as int64 tokens, [count, 8], and their reversals.</summary>
    public static (Tensor Inputs, Tensor Targets) Sequences(Key key, int count)
    {
        var digits = Tensor.Uniform(key, new Shape(count * Length), dtype: DType.Float64).ToFloat64Array().Select(u => (long)(u * 10)).ToArray();
        var targets = new long[count * Length];
        for (var n = 0; n < count; n++)
        {
            for (var s = 0; s < Length; s++)
                targets[(n * Length) + s] = digits[(n * Length) + (Length - 1 - s)];
        }
        return (Tensor.FromArray(digits, count, Length), Tensor.FromArray(targets, count, Length));
    }

    private static double TokenAccuracy(Layer model, Tensor x, Tensor y)
    {
        var (predictions, targets) = (model.Forward(x).ArgMax().ToInt64Array(), y.ToInt64Array());
        return predictions.Where((p, i) => p == targets[i]).Count() / (double)targets.Length;
    }

    /// <summary>Prints each layer's output shape on a batch of two sequences, through a forward tap.</summary>
    private static void ShowShapes(Output output, Layer model, Tensor x)
    {
        var shapes = new List<IReadOnlyList<string>>();
        model.Forward(x, ForwardContext.Evaluation with { Tap = (path, layer, input, y) => shapes.Add([path.Length == 0 ? "(model)" : path, layer.GetType().Name, input.Shape.ToString(), y.Shape.ToString()]) });
        output.Table("Shapes at every step (a batch of 2 sequences of 8 tokens)", ["path", "layer", "input", "output"], shapes);
    }
}
