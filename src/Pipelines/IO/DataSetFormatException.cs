namespace Pipelines.IO;

/// <summary>A data-set file (IDX, CSV) that breaks a rule of its format; the message says which rule, and where.</summary>
public sealed class DataSetFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public DataSetFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The rule broken, and where.</param>
    public DataSetFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The rule broken, and where.</param>
    /// <param name="innerException">The cause.</param>
    public DataSetFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
