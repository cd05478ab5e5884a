namespace Pipelines.Layers;

/// <summary>Which fan Kaiming initialisation preserves the variance of.</summary>
public enum FanMode
{
    /// <summary>Preserve the variance of the forward pass (PyTorch's default).</summary>
    FanIn,

    /// <summary>Preserve the variance of the backward pass.</summary>
    FanOut,
}
