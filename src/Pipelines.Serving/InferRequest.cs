using System.Text.Json;
using Pipelines.Tensors;

namespace Pipelines.Serving;

/// <summary>
/// A REST inference request read from its JSON, with the binary tensor data extension: when the request says how long
/// its JSON header is (<c>Inference-Header-Content-Length</c>), an input whose parameters give <c>binary_data_size</c>
/// takes that many bytes from the data after the header, in input order.
/// </summary>
internal sealed record InferRequest(string? Id, IReadOnlyList<TensorInput> Inputs, IReadOnlyList<string> Outputs, bool BinaryOutput)
{
    /// <summary>Reads <paramref name="json"/> (and <paramref name="binary"/>, the bytes after it); malformed requests are the client's mistake, said as such.</summary>
    public static InferRequest Read(ReadOnlyMemory<byte> json, ReadOnlySpan<byte> binary)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Bad($"The request body is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad($"The request body must be a JSON object with \"inputs\", but it is a {root.ValueKind}.");
            var id = root.TryGetProperty("id", out var idElement) ? idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : throw Bad("\"id\" must be a string.") : null;
            if (!root.TryGetProperty("inputs", out var inputsElement) || inputsElement.ValueKind != JsonValueKind.Array)
                throw Bad("The request must have \"inputs\", an array of tensors.");
            var inputs = new List<TensorInput>();
            var offset = 0;
            foreach (var element in inputsElement.EnumerateArray())
            {
                var input = ReadInput(element, binary, ref offset);
                inputs.Add(input);
            }
            if (offset != binary.Length)
                throw Bad($"The request carries {binary.Length} bytes of binary data after its JSON header, but its inputs' binary_data_size take {offset}.");
            var binaryOutput = Parameter(root, "binary_data_output") is { ValueKind: JsonValueKind.True };
            var outputs = new List<string>();
            if (root.TryGetProperty("outputs", out var outputsElement))
            {
                if (outputsElement.ValueKind != JsonValueKind.Array)
                    throw Bad("\"outputs\" must be an array of {\"name\": ...} objects.");
                foreach (var output in outputsElement.EnumerateArray())
                {
                    outputs.Add(Name(output, "output"));
                    binaryOutput |= Parameter(output, "binary_data") is { ValueKind: JsonValueKind.True };
                }
            }
            return new InferRequest(id, inputs, outputs, binaryOutput);
        }
    }

    private static TensorInput ReadInput(JsonElement element, ReadOnlySpan<byte> binary, ref int offset)
    {
        var name = Name(element, "input");
        var datatype = element.TryGetProperty("datatype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : throw Bad($"Input '{name}' needs a \"datatype\" string.");
        if (!element.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array)
            throw Bad($"Input '{name}' needs a \"shape\", an array of whole numbers.");
        var shape = s.EnumerateArray().Select(dim => dim.ValueKind == JsonValueKind.Number && dim.TryGetInt64(out var n) && n >= 0 ? n : throw Bad($"Input '{name}' has shape {s.GetRawText()}; every dimension must be a whole number of at least 0.")).ToArray();
        var type = TensorInput.TypeOf(datatype, name);
        if (Parameter(element, "binary_data_size") is { } size)
        {
            if (!size.TryGetInt32(out var bytes) || bytes < 0 || bytes > binary.Length - offset)
                throw Bad($"Input '{name}' says binary_data_size {size.GetRawText()}, but {binary.Length - offset} bytes of binary data are left.");
            var elements = TensorInput.FromBytes(binary.Slice(offset, bytes), datatype, name);
            offset += bytes;
            return new TensorInput(name, datatype, shape, elements);
        }
        if (!element.TryGetProperty("data", out var data))
            throw Bad($"Input '{name}' needs \"data\" (or binary_data_size with the binary extension).");
        return new TensorInput(name, datatype, shape, Elements(data, type, name));
    }

    /// <summary>The elements of <paramref name="data"/>, flat or nested as the tensor's natural form, row-major.</summary>
    private static Array Elements(JsonElement data, DType type, string name)
    {
        var count = Count(data, name);
        var index = 0;
        switch (type)
        {
            case DType.Float32:
                var floats = new float[count];
                Fill(data, ref index, (e, i) => e.TryGetSingle(out floats[i]), name, type);
                return floats;
            case DType.Float64:
                var doubles = new double[count];
                Fill(data, ref index, (e, i) => e.TryGetDouble(out doubles[i]), name, type);
                return doubles;
            default:
                var longs = new long[count];
                Fill(data, ref index, (e, i) => e.TryGetInt64(out longs[i]), name, type);
                return longs;
        }
    }

    /// <summary>How many numbers <paramref name="element"/> holds, nested arrays included; anything else in it is an error.</summary>
    private static int Count(JsonElement element, string name)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                return 1;
            case JsonValueKind.Array:
                var count = 0;
                foreach (var item in element.EnumerateArray())
                    count += item.ValueKind == JsonValueKind.Number ? 1 : Count(item, name);
                return count;
            default:
                throw Bad($"Input '{name}' has {element.ValueKind} in its data, where numbers (or arrays of them) belong.");
        }
    }

    /// <summary>Reads every number of <paramref name="element"/> in order, each at the next index.</summary>
    private static void Fill(JsonElement element, ref int index, Func<JsonElement, int, bool> read, string name, DType type)
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            if (!read(element, index++))
                throw Bad($"Input '{name}' has {element.GetRawText()} in its data, which is not a {Datatypes.Name(type)} number.");
            return;
        }
        foreach (var item in element.EnumerateArray())
            Fill(item, ref index, read, name, type);
    }

    private static string Name(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
            ? n.GetString()!
            : throw Bad($"Each {what} must be an object with a \"name\" string.");

    private static JsonElement? Parameter(JsonElement element, string name) =>
        element.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value) ? value : null;

    private static InferenceFaultException Bad(string message) => new(InferenceFault.BadRequest, message);
}
