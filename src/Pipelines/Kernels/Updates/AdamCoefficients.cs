namespace Pipelines.Kernels;

/// <summary>
/// The scalars of one Adam step, as PyTorch's Adam/AdamW compute them for step t: the betas, the bias corrections
/// 1 − β₁ᵗ and √(1 − β₂ᵗ), ε, and what follows the direction: an L2 decay added to the gradient before the moments
/// (Adam), a decoupled decay added to the direction (AdamW), and the learning rate.
/// </summary>
/// <param name="Beta1">β₁, the first moment's decay.</param>
/// <param name="Beta2">β₂, the second moment's decay.</param>
/// <param name="Epsilon">ε, added to the denominator.</param>
/// <param name="BiasCorrection1">1 − β₁ᵗ.</param>
/// <param name="SqrtBiasCorrection2">√(1 − β₂ᵗ).</param>
/// <param name="Amsgrad">Whether the denominator uses the running maximum of the second moment.</param>
/// <param name="CoupledDecay">Weight decay added to the gradient before the moments (Adam's L2), or 0.</param>
/// <param name="DecoupledDecay">Weight decay added to the direction after it (AdamW's), or 0.</param>
/// <param name="LearningRate">The rate the step is scaled by (negated).</param>
internal readonly record struct AdamCoefficients(
    double Beta1,
    double Beta2,
    double Epsilon,
    double BiasCorrection1,
    double SqrtBiasCorrection2,
    bool Amsgrad,
    double CoupledDecay,
    double DecoupledDecay,
    double LearningRate);
