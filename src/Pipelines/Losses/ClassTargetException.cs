namespace Pipelines.Losses;

/// <summary>
/// A classification loss was given a target that is not one of its classes (nor the ignored index). It says which
/// target, so a caller that knows where the batch came from (the trainer) can name the example in the data.
/// </summary>
public sealed class ClassTargetException : ArgumentOutOfRangeException
{
    /// <summary>Creates the exception.</summary>
    public ClassTargetException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ClassTargetException(string message)
        : base(null, message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public ClassTargetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for the target at <paramref name="position"/>.</summary>
    /// <param name="loss">The loss's name.</param>
    /// <param name="position">The target's index in the flattened targets.</param>
    /// <param name="targetClass">The class it names.</param>
    /// <param name="classes">How many classes the input scores.</param>
    /// <param name="ignoreIndex">The index the loss ignores.</param>
    public ClassTargetException(string loss, int position, long targetClass, int classes, long ignoreIndex)
        : base("targets", targetClass, $"{loss}: target {position} is class {targetClass}, outside [0, {classes}) and not the ignored index {ignoreIndex}.")
    {
        (Loss, Position, TargetClass, Classes, IgnoreIndex) = (loss, position, targetClass, classes, ignoreIndex);
    }

    /// <summary>The loss's name.</summary>
    public string Loss { get; } = string.Empty;

    /// <summary>The target's index in the flattened targets.</summary>
    public int Position { get; }

    /// <summary>The class the target names.</summary>
    public long TargetClass { get; }

    /// <summary>How many classes the input scores.</summary>
    public int Classes { get; }

    /// <summary>The index the loss ignores.</summary>
    public long IgnoreIndex { get; }
}
