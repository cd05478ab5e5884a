namespace Pipelines.Dataflow;

/// <summary>A request the inference pipeline did not take: its queue was full, or it no longer accepts requests.</summary>
public sealed class InferenceRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InferenceRejectedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the request was rejected.</param>
    public InferenceRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">Why the request was rejected.</param>
    /// <param name="innerException">The cause.</param>
    public InferenceRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
