namespace Pipelines.IO;

/// <summary>A file or buffer that breaks a rule of the safetensors format; the message says which rule and where.</summary>
public sealed class SafeTensorsFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public SafeTensorsFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The rule broken, and where.</param>
    public SafeTensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The rule broken, and where.</param>
    /// <param name="innerException">The cause.</param>
    public SafeTensorsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
