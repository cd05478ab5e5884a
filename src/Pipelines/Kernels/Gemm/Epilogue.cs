namespace Pipelines.Kernels.Gemm;

/// <summary>What a product does with C, fused into the first pass of the micro-kernel over each tile.</summary>
internal enum Epilogue
{
    /// <summary>C = A·B.</summary>
    Overwrite,

    /// <summary>C = bias + A·B, the bias a row added to every row of C.</summary>
    AddBias,

    /// <summary>C = C + A·B.</summary>
    Accumulate,
}
