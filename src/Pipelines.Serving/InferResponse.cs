using System.Buffers;
using System.Text.Json;
using Pipelines.Tensors;

namespace Pipelines.Serving;

/// <summary>
/// A REST inference answer: the protocol's JSON object, or with the binary extension its JSON header followed by the
/// output's raw little-endian elements. Floats are written in their shortest form that reads back to the same bits;
/// NaN and infinities, which JSON lacks, as the strings "NaN", "Infinity" and "-Infinity".
/// </summary>
internal static class InferResponse
{
    /// <summary>The bytes of the answer and the JSON header's length (the whole body without the binary extension).</summary>
    public static (byte[] Body, int HeaderLength) Write(ServedModel model, string? id, Tensor output, bool binary)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model_name", model.Name);
            json.WriteString("model_version", model.Version);
            if (id is not null)
                json.WriteString("id", id);
            json.WriteStartArray("outputs");
            json.WriteStartObject();
            json.WriteString("name", model.Options.OutputName);
            json.WriteString("datatype", Datatypes.Name(output.DType));
            json.WriteStartArray("shape");
            foreach (var dim in output.Shape.Dims)
                json.WriteNumberValue(dim);
            json.WriteEndArray();
            if (binary)
            {
                json.WriteStartObject("parameters");
                json.WriteNumber("binary_data_size", (long)output.Count * Datatypes.Size(output.DType));
                json.WriteEndObject();
            }
            else
            {
                json.WriteStartArray("data");
                WriteElements(json, output);
                json.WriteEndArray();
            }
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        var header = buffer.WrittenCount;
        if (binary)
            buffer.Write(Datatypes.RawBytes(output));
        return (buffer.WrittenSpan.ToArray(), header);
    }

    private static void WriteElements(Utf8JsonWriter json, Tensor output)
    {
        switch (output.DType)
        {
            case DType.Float32:
                foreach (var value in output.AsSpan<float>())
                {
                    if (float.IsFinite(value))
                        json.WriteNumberValue(value);
                    else
                        json.WriteStringValue(NonFinite(value));
                }
                break;
            case DType.Float64:
                foreach (var value in output.AsSpan<double>())
                {
                    if (double.IsFinite(value))
                        json.WriteNumberValue(value);
                    else
                        json.WriteStringValue(NonFinite(value));
                }
                break;
            default:
                foreach (var value in output.AsSpan<long>())
                    json.WriteNumberValue(value);
                break;
        }
    }

    private static string NonFinite(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}
