namespace Pipelines.Kernels;

/// <summary>Which GELU, as <c>F.gelu(x, approximate=...)</c> names them.</summary>
public enum GeluApproximation
{
    /// <summary>The exact x·Φ(x), with the error function (PyTorch's default, <c>"none"</c>).</summary>
    None,

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (<c>"tanh"</c>).</summary>
    Tanh,
}
