namespace Pipelines.Benchmarks;

/// <summary>One benchmark shape: an input of <see cref="InputShape"/> (rows M = product of the leading axes, K = last) through Linear(K, N).</summary>
public sealed record LinearCase(string Name, int[] InputShape, int N)
{
    public int M => InputShape[..^1].Aggregate(1, (a, b) => a * b);

    public int K => InputShape[^1];

    /// <summary>The cases of the GEMM issue: square products, and the shapes linear layers meet in practice.</summary>
    public static IReadOnlyList<LinearCase> All { get; } =
    [
        new("square_256", [256, 256], 256),
        new("square_512", [512, 512], 512),
        new("square_1024", [1024, 1024], 1024),
        new("square_2048", [2048, 2048], 2048),
        new("linear_single", [1, 512], 256),
        new("linear_mlp", [32, 784], 256),
        new("linear_big", [256, 784], 512),
        new("linear_seq", [128, 100, 512], 512),
        new("linear_ffn", [64, 1024], 4096),
    ];

    /// <summary>Floating-point operations of the forward product (2·M·K·N), or of forward plus the two backward products.</summary>
    public double Flops(bool backward) => 2.0 * M * K * N * (backward ? 3 : 1);

    public override string ToString() => Name;
}
