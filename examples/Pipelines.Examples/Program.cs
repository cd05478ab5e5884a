using LanguageExt;
using Pipelines.Examples;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;
using static LanguageExt.Prelude;

// A tour of the layer at the centre of Pipelines, on real data. Training arrives with the
// autodiff, losses and optimizer work; this shows the pieces it is built from.

// 1. The worked example from PyTorch's documentation: W = [[1, 2, 3], [4, 5, 6]], b = [0, 1], x = [1, 2, 3].
var worked = new Linear(Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }), Some(Tensor.FromArray(new float[] { 0, 1 })));
Console.WriteLine($"{worked} on [1, 2, 3] gives {worked.Forward(Tensor.FromArray(new float[] { 1, 2, 3 }))}");

// 2. A classifier head over the 8×8 digits, default-initialised from a key (no global seed anywhere).
var (images, labels) = Digits.Load();
var (headKey, modelKey) = new Key(2026).Split();
var head = new Linear(headKey, Digits.Pixels, Digits.Classes);
var logits = head.Forward(images);
Console.WriteLine($"\n{images.Shape[0]} digit images {images.Shape} -> logits {logits.Shape}");
Console.WriteLine($"First image's logits: {logits[0]}");
Console.WriteLine($"Accuracy of the untrained head: {Accuracy(logits, labels):P1} (chance is 10%)");

// 3. Its backward rules: the gradient of the summed logits of the label class, as a Linear-shaped value.
var upstream = OneHot(labels, Digits.Classes);
var (dx, gradient) = head.Backward(images, upstream);
Console.WriteLine($"\nBackward: dx {dx.Shape}, dW {gradient.Weight.Shape}, db {gradient.Bias.Map(b => b.Shape.ToString()).IfNone("none")}");
Console.WriteLine($"db counts each class: {gradient.Bias.IfNone(() => Tensor.Zeros(Shape.Scalar))}");

// 4. Networks are expressions; parameters carry PyTorch's state_dict names.
var keys = modelKey.Split(3);
var mlp = new Linear(keys[0], 64, 32) >> new ReLU() >> new Linear(keys[1], 32, 16) >> new ReLU() >> new Linear(keys[2], 16, 10);
Console.WriteLine($"\n{mlp}\nParameters: {mlp.ParameterCount():N0} ({string.Join(", ", mlp.NamedParameters().Select(p => $"{p.Key} {p.Value.Shape}"))})");

// 5. safetensors: save atomically, load by name into a fresh model, and get the same outputs bitwise.
var path = Path.Combine(Path.GetTempPath(), "pipelines-demo.safetensors");
StateDict.Save(path, mlp, [KeyValuePair.Create("format", "pt")]);
var fresh = new Linear(new Key(1), 64, 32) >> new ReLU() >> new Linear(new Key(2), 32, 16) >> new ReLU() >> new Linear(new Key(3), 16, 10);
var restored = StateDict.Load(fresh, SafeTensors.Load(path));
Console.WriteLine($"\nSaved to {path} ({new FileInfo(path).Length:N0} bytes); reloaded outputs identical: {restored.Forward(images).BitwiseEquals(mlp.Forward(images))}");
File.Delete(path);

static double Accuracy(Tensor logits, int[] labels)
{
    var correct = 0;
    for (var i = 0; i < labels.Length; i++)
    {
        var row = logits[i].AsSpan<float>();
        correct += row.IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(row)) == labels[i] ? 1 : 0;
    }
    return (double)correct / labels.Length;
}

static Tensor OneHot(int[] labels, int classes)
{
    var values = new float[labels.Length * classes];
    for (var i = 0; i < labels.Length; i++)
        values[(i * classes) + labels[i]] = 1;
    return Tensor.FromArray(values, labels.Length, classes);
}
