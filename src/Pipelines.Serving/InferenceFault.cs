namespace Pipelines.Serving;

/// <summary>Why a request got no answer, in the protocol's terms; REST and gRPC each map it to their status.</summary>
internal enum InferenceFault
{
    /// <summary>The client's mistake: 400, INVALID_ARGUMENT.</summary>
    BadRequest,

    /// <summary>The model's queue is full or it is shutting down: 503 with Retry-After, RESOURCE_EXHAUSTED.</summary>
    Unavailable,

    /// <summary>The request's deadline passed first: 504, DEADLINE_EXCEEDED.</summary>
    Timeout,
}

/// <summary>A request that gets no answer, with the message the client reads.</summary>
internal sealed class InferenceFaultException(InferenceFault fault, string message, Exception? inner = null) : Exception(message, inner)
{
    public InferenceFault Fault { get; } = fault;
}
