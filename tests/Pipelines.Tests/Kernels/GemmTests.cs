using Pipelines.Kernels.Gemm;
using Pipelines.Kernels.Threading;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Kernels;

public sealed class GemmTests
{
    [Fact]
    public void A_small_product_by_hand()
    {
        float[] a = [1, 2, 3, 4, 5, 6];      // [2, 3]
        float[] w = [1, 0, 1, 0, 1, 0];      // [2, 3] as stored: rows are output features
        var c = new float[4];
        Gemm.MultiplyTransposed<float>(a, 3, w, 3, c, 2, m: 2, n: 2, k: 3, bias: [10f, 20f]);
        Assert.Equal(new float[] { 14, 22, 20, 25 }, c);
        Gemm.MultiplyTransposed<float>(a, 3, w, 3, c, 2, m: 2, n: 2, k: 3, accumulate: true);
        Assert.Equal(new float[] { 18, 24, 30, 30 }, c);
    }

    [Fact]
    public void An_empty_reduction_gives_the_bias_or_zero_or_leaves_C()
    {
        var c = new[] { 7f, 7f };
        Gemm.Multiply<float>([], 1, [], 2, c, 2, m: 1, n: 2, k: 0, bias: [1f, 2f]);
        Assert.Equal(new float[] { 1, 2 }, c);
        Gemm.Multiply<float>([], 1, [], 2, c, 2, m: 1, n: 2, k: 0, accumulate: true);
        Assert.Equal(new float[] { 1, 2 }, c);
        Gemm.Multiply<float>([], 1, [], 2, c, 2, m: 1, n: 2, k: 0);
        Assert.Equal(new float[] { 0, 0 }, c);
    }

    [Fact]
    public void Bad_arguments_name_the_operand_and_the_numbers()
    {
        var c = new float[4];
        Assert.Contains("A is [2, 3] with leading dimension 3, which needs 6 elements, but the span has 5", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[5], 3, new float[6], 2, c, 2, 2, 2, 3)).Message, StringComparison.Ordinal);
        Assert.Contains("leading dimension of B (1) must be at least its 2 columns", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[6], 3, new float[6], 1, c, 2, 2, 2, 3)).Message, StringComparison.Ordinal);
        Assert.Contains("needs 4 elements, but the span has 3", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[6], 3, new float[6], 2, new float[3], 2, 2, 2, 3)).Message, StringComparison.Ordinal);
        Assert.Contains("n = 2 elements but has 3", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[6], 3, new float[6], 2, c, 2, 2, 2, 3, bias: new float[3])).Message, StringComparison.Ordinal);
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[6], 3, new float[6], 2, c, 2, 2, 2, 3, bias: new float[2], accumulate: true)).Message, StringComparison.Ordinal);
        Assert.Contains("m=-1", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<float>([], 1, [], 1, c, 1, -1, 1, 1)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<float>(new float[6], 3, new float[6], 2, c, 2, 2, 2, 3, options: new GemmOptions(Threads: 0)));
        Assert.Throws<NotSupportedException>(() => Gemm.Multiply<Half>(new Half[1], 1, new Half[1], 1, new Half[1], 1, 1, 1, 1));
    }

    [Fact]
    public void The_thread_budget_rejects_zero_and_never_changes_results()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ThreadBudget.MaxThreads = 0);
        var layer = new Pipelines.Layers.Linear(new Key(1), 300, 200);
        var x = Tensor.Normal(new Key(2), new Shape(400, 300));
        var before = ThreadBudget.MaxThreads;
        try
        {
            ThreadBudget.MaxThreads = 1;
            var single = layer.Forward(x);
            ThreadBudget.MaxThreads = 4;
            Assert.True(single.BitwiseEquals(layer.Forward(x)));
        }
        finally
        {
            ThreadBudget.MaxThreads = before;
        }
    }

    [Fact]
    public void Every_width_up_to_the_best_is_available_to_force()
    {
        Assert.Contains(VectorWidth.Scalar, VectorWidths.Available);
        Assert.Equal(VectorWidths.Best, VectorWidths.Available[^1]);
    }

    /// <summary>
    /// Once the thread's workspace has grown, a product allocates nothing, with A read in place (784 wide) or packed
    /// (1024). Tiered compilation allocates now and then on the calling thread, so the least of five windows counts.
    /// </summary>
    [Fact]
    public void A_product_allocates_nothing_once_the_workspace_has_grown()
    {
        foreach (var k in new[] { 784, 1024 })
        {
            var (a, b, c) = (new float[64 * k], new float[k * 96], new float[64 * 96]);
            var options = new GemmOptions(Threads: 1);
            var least = long.MaxValue;
            for (var window = 0; window < 5; window++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var call = 0; call < 10; call++)
                    Gemm.Multiply<float>(a, k, b, 96, c, 96, 64, 96, k, options: options);
                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.True(least == 0, $"k={k}: {least} bytes in ten products");
        }
    }
}
