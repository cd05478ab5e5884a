namespace Pipelines.Layers;

/// <summary>The non-linearities <see cref="Init.CalculateGain(Nonlinearity, double?)"/> knows, as in <c>torch.nn.init.calculate_gain</c>.</summary>
public enum Nonlinearity
{
    /// <summary>The identity; gain 1.</summary>
    Linear,

    /// <summary>Any convolution or transposed convolution; gain 1.</summary>
    Conv,

    /// <summary>Gain 1.</summary>
    Sigmoid,

    /// <summary>Gain 5/3.</summary>
    Tanh,

    /// <summary>Gain √2.</summary>
    Relu,

    /// <summary>Gain √(2 / (1 + slope²)), slope 0.01 unless given.</summary>
    LeakyRelu,

    /// <summary>Gain 3/4.</summary>
    Selu,
}
