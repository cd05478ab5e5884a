namespace Pipelines.Layers;

/// <summary>Training or evaluation: an explicit argument of every forward pass, never hidden state of a layer.</summary>
public enum Mode
{
    /// <summary>Dropout drops, batch normalisation uses batch statistics and updates its running ones.</summary>
    Train,

    /// <summary>Dropout is the identity, batch normalisation uses its running statistics.</summary>
    Eval,
}
