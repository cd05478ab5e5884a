using Pipelines.Kernels;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Examples.Layers;

/// <summary>
/// A cross-modal projection as one layer: an image tower maps each image, a label tower maps each of the C class
/// codes (one-hot rows), both to a shared d-dimensional space; the output is the scaled cosine similarity of every image
/// with every class, [N, C], which cross-entropy turns into a contrastive objective (as CLIP does between modalities).
/// </summary>
public sealed record CosineLogits(Layer ImageTower, Layer LabelTower, int Classes, double Scale) : Layer
{
    public override LayerParts Parts => new() { Children = [("image", ImageTower), ("label", LabelTower)] };

    protected override Layer Rebuild(LayerParts parts) => this with { ImageTower = parts.Child<Layer>("image"), LabelTower = parts.Child<Layer>("label") };

    /// <summary>The image tower's unit-length embedding of each row of <paramref name="x"/>.</summary>
    public Tensor EmbedImages(Tensor x) => Normalize(ImageTower.Forward(x)).Unit;

    /// <summary>The label tower's unit-length embedding of each class.</summary>
    public Tensor EmbedClasses() => Normalize(LabelTower.Forward(Codes(Classes))).Unit;

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var images = ImageTower.Forward(x, context.Child("image"));
        var labels = LabelTower.Forward(Codes(Classes).To(x.DType), context.Child("label"));
        var (a, aNorm) = Normalize(images.Output);
        var (b, bNorm) = Normalize(labels.Output);
        var logits = Products.MatMul(a, b.Transpose()) * Scale;
        return new Traced(logits, new CosineTrace(images.Trace, labels.Trace, a, aNorm, b, bNorm), WithChildren([images.Next, labels.Next]));
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var t = Expect<CosineTrace>(trace);
        var scaled = dy * Scale;
        var (da, db) = (Products.MatMul(scaled, t.B), Products.MatMul(scaled.Transpose(), t.A));
        var (dx, gImage) = ImageTower.Backward(t.Images, NormalizeBackward(t.A, t.ANorm, da), inputGradient);
        var (_, gLabel) = LabelTower.Backward(t.Labels, NormalizeBackward(t.B, t.BNorm, db), inputGradient: false);
        return (dx, this with { ImageTower = gImage, LabelTower = gLabel });
    }

    /// <summary>The one-hot codes of <paramref name="classes"/> classes, [C, C].</summary>
    public static Tensor Codes(int classes) => Tensor.FromArray([.. Enumerable.Range(0, classes * classes).Select(i => i / classes == i % classes ? 1f : 0f)], classes, classes);

    /// <summary>Each row divided by its length, and the lengths [N, 1].</summary>
    private static (Tensor Unit, Tensor Norm) Normalize(Tensor v)
    {
        var norm = (v * v).Sum(-1, keepDim: true).Sqrt() + 1e-12;
        return (v / norm, norm);
    }

    /// <summary>For u = v/‖v‖: ∂/∂v = (du − u·⟨u, du⟩) / ‖v‖, row by row.</summary>
    private static Tensor NormalizeBackward(Tensor unit, Tensor norm, Tensor du) =>
        (du - (unit * (unit * du).Sum(-1, keepDim: true))) / norm;

    private sealed record CosineTrace(Trace Images, Trace Labels, Tensor A, Tensor ANorm, Tensor B, Tensor BNorm) : Trace;
}
