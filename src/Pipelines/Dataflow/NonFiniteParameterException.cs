using Pipelines.Diagnostics;

namespace Pipelines.Dataflow;

/// <summary>
/// Training stopped because a step with a finite loss left a parameter non-finite (the update overflowed, say): the
/// trainer checks the parameters before it writes a checkpoint or returns a model, so no checkpoint holds them.
/// </summary>
public sealed class NonFiniteParameterException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteParameterException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public NonFiniteParameterException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public NonFiniteParameterException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for the step after which a parameter was found non-finite.</summary>
    /// <param name="step">The last step taken, counted from 1.</param>
    /// <param name="finding">The first non-finite parameter.</param>
    public NonFiniteParameterException(long step, NonFiniteFinding finding)
        : base($"After step {step} the parameter '{finding?.Path}' is not finite ({finding?.Detail}) although every loss was: an update overflowed. Nothing was saved from it; lower the learning rate or clip the gradients.")
    {
        Finding = finding;
    }

    /// <summary>The first non-finite parameter.</summary>
    public NonFiniteFinding? Finding { get; }
}
