using FsCheck;
using FsCheck.Fluent;
using Pipelines.Kernels.Gemm;

namespace Pipelines.Properties.Kernels;

/// <summary>Which of the three products of a linear layer.</summary>
public enum Product
{
    MultiplyTransposed,
    Multiply,
    TransposeMultiply,
}

/// <summary>
/// A product with its sizes, leading-dimension padding and data seed. Sizes reach 0, 1, the register tile
/// (6 rows, 64 and 32 columns) ± 1, the reduction block (256) ± 1, and primes.
/// </summary>
public sealed record GemmCase(Product Product, int M, int N, int K, int Pad, int Seed, bool Wide)
{
    public int RowsA => Product == Product.TransposeMultiply ? K : M;

    public int ColsA => Product == Product.TransposeMultiply ? M : K;

    public int RowsB => Product == Product.MultiplyTransposed ? N : K;

    public int ColsB => Product == Product.MultiplyTransposed ? K : N;

    public int Lda => Math.Max(1, ColsA + Pad);

    public int Ldb => Math.Max(1, ColsB + Pad);

    public int Ldc => Math.Max(1, N + Pad);

    public T[] A<T>() where T : unmanaged => Data<T>(RowsA, Lda, 1);

    public T[] B<T>() where T : unmanaged => Data<T>(RowsB, Ldb, 2);

    public T[] Bias<T>() where T : unmanaged => Data<T>(1, N, 3);

    public T[] C<T>() where T : unmanaged => Data<T>(M, Ldc, 4);

    /// <summary>Element (i, p) of op(A) and (p, j) of op(B), as the definition of the product reads them.</summary>
    public double OpA(double[] a, int i, int p) => Product == Product.TransposeMultiply ? a[(p * Lda) + i] : a[(i * Lda) + p];

    public double OpB(double[] b, int p, int j) => Product == Product.MultiplyTransposed ? b[(j * Ldb) + p] : b[(p * Ldb) + j];

    public void Run<T>(T[] a, T[] b, T[] c, T[]? bias = null, bool accumulate = false, GemmOptions options = default)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var epilogueBias = bias is null ? default : new ReadOnlySpan<T>(bias);
        switch (Product)
        {
            case Product.MultiplyTransposed:
                Gemm.MultiplyTransposed<T>(a, Lda, b, Ldb, c, Ldc, M, N, K, epilogueBias, accumulate, options);
                break;
            case Product.Multiply:
                Gemm.Multiply<T>(a, Lda, b, Ldb, c, Ldc, M, N, K, epilogueBias, accumulate, options);
                break;
            default:
                Gemm.TransposeMultiply<T>(a, Lda, b, Ldb, c, Ldc, M, N, K, epilogueBias, accumulate, options);
                break;
        }
    }

    /// <summary>The case grown past the 4 MFLOP threshold of the threaded path, keeping its edge remainders.</summary>
    public GemmCase Grown() => this with { M = 200 + (7 * M), N = 60 + (3 * N), K = 250 + K };

    public override string ToString() => $"{Product} m={M} n={N} k={K} pad={Pad} seed={Seed}";

    private T[] Data<T>(int rows, int ld, int stream)
        where T : unmanaged
    {
        var random = new Random(HashCode.Combine(Seed, stream));
        var count = Math.Max(0, rows * ld);
        return typeof(T) == typeof(float)
            ? (T[])(object)Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray()
            : (T[])(object)Enumerable.Range(0, count).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
    }
}

public static class GemmArbitraries
{
    private static readonly Gen<int> Small = Gen.Elements(0, 1, 2, 3, 5, 6, 7, 11, 12, 13, 17, 31, 32, 33);
    private static readonly Gen<int> Edge = Gen.Elements(0, 1, 5, 6, 7, 31, 32, 33, 63, 64, 65, 97, 127, 128, 129);
    private static readonly Gen<int> Reduction = Gen.Elements(0, 1, 2, 7, 13, 255, 256, 257, 300, 513);

    public static Arbitrary<GemmCase> Cases() =>
        (from product in Gen.Elements(Enum.GetValues<Product>())
         from wide in Gen.Elements(false, false, false, true)
         from m in wide ? Edge : Small
         from n in wide ? Edge : Small
         from k in wide ? Reduction : Small
         from pad in Gen.Elements(0, 0, 3)
         from seed in Gen.Choose(0, int.MaxValue)
         where (long)m * n * Math.Max(1, k) <= 2_000_000
         select new GemmCase(product, m, n, k, pad, seed, wide)).ToArbitrary();
}
