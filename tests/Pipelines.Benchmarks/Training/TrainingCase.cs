namespace Pipelines.Benchmarks.Training;

/// <summary>One training step to time: an MLP of <paramref name="Widths"/> with ReLU between layers, cross-entropy, and an optimizer.</summary>
/// <param name="Name">The row's name (contains "train").</param>
/// <param name="Batch">Examples per step.</param>
/// <param name="Widths">Input width, hidden widths, classes.</param>
/// <param name="Optimizer"><c>sgd</c> (learning rate 0.01) or <c>adamw</c> (1e-3, weight decay 1e-4).</param>
public sealed record TrainingCase(string Name, int Batch, int[] Widths, string Optimizer)
{
    private static readonly int[] Mlp = [784, 256, 128, 10];

    /// <summary>The fashion example's widths (the example adds batch normalisation and dropout).</summary>
    private static readonly int[] Fashion = [784, 512, 256, 10];

    public static IReadOnlyList<TrainingCase> All { get; } =
    [
        new("mlp_train_sgd_b64", 64, Mlp, "sgd"),
        new("mlp_train_adamw_b64", 64, Mlp, "adamw"),
        new("mlp_train_sgd_b256", 256, Mlp, "sgd"),
        new("mlp_train_adamw_b256", 256, Mlp, "adamw"),
        new("fashion_train_adamw_b64", 64, Fashion, "adamw"),
    ];

    /// <summary>
    /// Floating-point operations of a step's matrix products: each layer's forward X·Wᵀ and weight gradient dYᵀ·X, and the
    /// input gradient dY·W of every layer but the first (the data needs none), 2·B·in·out each.
    /// </summary>
    public double ProductFlops => Enumerable.Range(0, Widths.Length - 1).Sum(i => 2.0 * Batch * Widths[i] * Widths[i + 1] * (i == 0 ? 2 : 3));

    /// <summary>The name, as BenchmarkDotNet shows the parameter.</summary>
    public override string ToString() => Name;
}
