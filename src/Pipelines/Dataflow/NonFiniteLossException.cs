using Pipelines.Diagnostics;

namespace Pipelines.Dataflow;

/// <summary>Training stopped because a step's loss was not finite; the finding names where NaN or ∞ first appeared.</summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public NonFiniteLossException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public NonFiniteLossException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a step and what the non-finite guard found.</summary>
    /// <param name="step">The step whose loss was not finite, counted from 1 as reports and checkpoints count.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="finding">Where the first non-finite value was, or null if the guard found none on a second look.</param>
    public NonFiniteLossException(long step, double loss, NonFiniteFinding? finding)
        : base(finding is null
            ? $"Step {step}: the loss is {loss}."
            : $"Step {step}: the loss is {loss}; the first non-finite value is the {finding.Where} of {finding.LayerType} '{finding.Path}' ({finding.Detail}).")
    {
        Finding = finding;
    }

    /// <summary>Where the first non-finite value was, if found.</summary>
    public NonFiniteFinding? Finding { get; }
}
