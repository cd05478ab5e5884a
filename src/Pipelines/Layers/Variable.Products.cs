using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

public sealed partial class Variable
{
    /// <summary>
    /// The matrix product of [..., m, k] and [..., k, n], like <c>torch.matmul</c> for rank 2 or more: the leading axes
    /// broadcast, and each matrix is computed on the library's GEMM exactly as it would be alone.
    /// </summary>
    /// <param name="a">The left factor.</param>
    /// <param name="b">The right factor.</param>
    public static Variable MatMul(Variable a, Variable b) => Binary(
        a,
        b,
        Products.MatMul(Checked(a).Value, Checked(b).Value),
        g => Products.MatMul(g, b.Value, transposeA: false, transposeB: true).SumToSize(a.Shape),
        g => Products.MatMul(a.Value, g, transposeA: true, transposeB: false).SumToSize(b.Shape));

    /// <summary>a·bᵀ over the last two axes (<c>a @ b.mT</c>) without copying the transpose, in either direction.</summary>
    internal static Variable MatMulTransposed(Variable a, Variable b) => Binary(
        a,
        b,
        Products.MatMul(Checked(a).Value, Checked(b).Value, transposeA: false, transposeB: true),
        g => Products.MatMul(g, b.Value).SumToSize(a.Shape),
        g => Products.MatMul(g, a.Value, transposeA: true, transposeB: false).SumToSize(b.Shape));

    /// <summary>
    /// <c>x·Wᵀ + b</c> over the last axis, like <c>torch.nn.functional.linear</c>, on the kernels a <see cref="Layers.Linear"/>
    /// runs (the weight packed once and cached, the bias in the product's epilogue, no transpose copied): faster than
    /// <c>MatMul(x, w.Transpose()) + b</c>, with the same gradients.
    /// </summary>
    /// <param name="x">The input, [..., in].</param>
    /// <param name="weight">The weight, [out, in].</param>
    /// <param name="bias">The bias, [out], or null.</param>
    public static Variable Linear(Variable x, Variable weight, Variable? bias = null)
    {
        var value = Layers.Linear.Apply(Checked(x).Value, Checked(weight).Value, bias?.Value);
        Tensor Rows(Tensor t) => t.Rank < 2 ? t.Reshape(1, t.Count) : t;
        return Make(
            value,
            bias is null ? [x, weight] : [x, weight, bias],
            [
                g => Layers.Linear.InputGradient(g, weight.Value),
                g => Layers.Linear.WeightGradient(Rows(g), Rows(x.Value)),
                g => Layers.Linear.BiasGradient(Rows(g)),
            ]);
    }
}
