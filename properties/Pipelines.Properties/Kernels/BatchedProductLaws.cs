using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Kernels;
using Pipelines.Kernels.Threading;
using Pipelines.Tensors;

namespace Pipelines.Properties.Kernels;

public sealed class BatchedProductLaws
{
    /// <summary>
    /// Each matrix of a batched, broadcast product is bitwise the product of its two matrices alone, on one thread or
    /// all: splitting a batch across threads by matrices never changes a bit.
    /// </summary>
    [Property(MaxTest = 200)]
    public Property Each_matrix_of_a_batched_product_is_the_product_alone(PositiveInt seed)
    {
        var random = new Random(seed.Get);
        var (batch, m, k, n) = (random.Next(1, 5), random.Next(0, 40), random.Next(0, 70), random.Next(1, 40));
        var shared = random.Next(2) == 0;
        var key = new Key((ulong)seed.Get);
        var a = Tensor.Normal(key.Fold(1), new Shape(batch, m, k));
        var b = Tensor.Normal(key.Fold(2), shared ? new Shape(1, k, n) : new Shape(batch, k, n));
        var previous = ThreadBudget.MaxThreads;
        Tensor product, single;
        try
        {
            product = Products.MatMul(a, b);
            ThreadBudget.MaxThreads = 1;
            single = Products.MatMul(a, b);
        }
        finally
        {
            ThreadBudget.MaxThreads = previous;
        }
        var alone = Enumerable.Range(0, batch).All(i => product[i].BitwiseEquals(Products.MatMul(a[i], b[shared ? 0 : i])));
        return (alone && product.BitwiseEquals(single)).Label($"[{batch}, {m}, {k}] x [{(shared ? 1 : batch)}, {k}, {n}]");
    }
}
