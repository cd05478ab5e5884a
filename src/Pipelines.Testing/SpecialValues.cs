namespace Pipelines.Testing;

/// <summary>Values beyond the ordinary that generated tensors may hold, opted into one by one.</summary>
[Flags]
public enum SpecialValues
{
    /// <summary>Finite normal numbers only.</summary>
    None = 0,

    /// <summary>+∞ and −∞.</summary>
    Infinities = 1,

    /// <summary>NaN.</summary>
    NaN = 2,

    /// <summary>Subnormal numbers and ±0.</summary>
    Denormals = 4,
}
