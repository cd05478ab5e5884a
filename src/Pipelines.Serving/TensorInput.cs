using Pipelines.Tensors;

namespace Pipelines.Serving;

/// <summary>
/// A request's input tensor as the client described it: name, datatype, shape (batch axis first) and its elements
/// row-major, already read as the datatype's element type.
/// </summary>
internal sealed record TensorInput(string Name, string Datatype, long[] Shape, Array Elements)
{
    /// <summary>The element type of the protocol's <paramref name="datatype"/>; any other is the client's mistake, naming <paramref name="input"/>.</summary>
    public static DType TypeOf(string datatype, string input) => datatype switch
    {
        "FP32" => DType.Float32,
        "FP64" => DType.Float64,
        "INT64" => DType.Int64,
        _ => throw new InferenceFaultException(InferenceFault.BadRequest, $"Input '{input}' has datatype '{datatype}'; this server serves FP32, FP64 and INT64 tensors."),
    };

    /// <summary>
    /// Reads raw elements (the binary extension, gRPC's raw contents) of <paramref name="datatype"/>: the protocol's
    /// little-endian order is the machine's on every platform .NET runs this library on (x64, Arm64).
    /// </summary>
    public static Array FromBytes(ReadOnlySpan<byte> bytes, string datatype, string input)
    {
        var type = TypeOf(datatype, input);
        var size = type == DType.Float32 ? 4 : 8;
        if (bytes.Length % size != 0)
            throw new InferenceFaultException(InferenceFault.BadRequest, $"Input '{input}' has {bytes.Length} bytes of {datatype} data, which is not a whole number of {size}-byte elements.");
        return type switch
        {
            DType.Float32 => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
            DType.Float64 => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
            _ => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes).ToArray(),
        };
    }
}
