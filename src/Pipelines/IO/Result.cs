using System.Diagnostics.CodeAnalysis;

namespace Pipelines.IO;

/// <summary>
/// The outcome of an operation on data from outside (a file, a data set): a value, or a <see cref="Failure"/> that says
/// what was wrong. <c>TryX</c> methods return it and never throw, whatever the bytes.
/// </summary>
/// <typeparam name="T">The value's type.</typeparam>
public readonly struct Result<T> : IEquatable<Result<T>>
{
    private readonly T? _value;

    internal Result(T? value, Failure? failure) => (_value, Failure) = (value, failure);

    /// <summary>Whether the operation succeeded.</summary>
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsSuccess => Failure is null;

    /// <summary>What went wrong, or null on success.</summary>
    public Failure? Failure { get; }

    /// <summary>The value; throws the failure's exception when there is none.</summary>
    public T Value => IsSuccess ? _value! : throw Failure.Exception;

    /// <summary>The value, if any.</summary>
    /// <param name="value">The value on success.</param>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value;
        return IsSuccess;
    }

    /// <summary>One of two results, by outcome.</summary>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="success">Applied to the value.</param>
    /// <param name="failure">Applied to the failure.</param>
    public TResult Match<TResult>(Func<T, TResult> success, Func<Failure, TResult> failure)
    {
        ArgumentNullException.ThrowIfNull(success);
        ArgumentNullException.ThrowIfNull(failure);
        return IsSuccess ? success(_value!) : failure(Failure);
    }

    /// <inheritdoc/>
    public bool Equals(Result<T> other) => EqualityComparer<T?>.Default.Equals(_value, other._value) && Equals(Failure, other.Failure);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Result<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_value, Failure);

    /// <summary>"Success: value" or "Failure: message".</summary>
    public override string ToString() => IsSuccess ? $"Success: {_value}" : $"Failure: {Failure.Message}";

    /// <summary>Equal outcomes.</summary>
    /// <param name="left">One result.</param>
    /// <param name="right">The other.</param>
    public static bool operator ==(Result<T> left, Result<T> right) => left.Equals(right);

    /// <summary>Different outcomes.</summary>
    /// <param name="left">One result.</param>
    /// <param name="right">The other.</param>
    public static bool operator !=(Result<T> left, Result<T> right) => !left.Equals(right);
}

/// <summary>Makes <see cref="Result{T}"/> values.</summary>
public static class Result
{
    /// <summary>A success.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    public static Result<T> Success<T>(T value) => new(value, null);

    /// <summary>A failure.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="failure">What went wrong.</param>
    public static Result<T> Fail<T>(Failure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return new(default, failure);
    }
}

/// <summary>Why an operation on outside data failed: the message, and the library's exception describing it (not thrown).</summary>
/// <param name="Message">What was wrong, naming what was expected and what was given.</param>
/// <param name="Exception">The exception <c>X</c> (the non-<c>Try</c> form) would have thrown, for its details (e.g. <see cref="StateDictMismatchException.Missing"/>).</param>
public sealed record Failure(string Message, Exception Exception)
{
    /// <summary>The failure an exception describes.</summary>
    /// <param name="exception">The exception.</param>
    public static Failure From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new Failure(exception.Message, exception);
    }
}
