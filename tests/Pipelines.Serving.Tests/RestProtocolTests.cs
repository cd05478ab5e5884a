using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Serving.Tests;

/// <summary>The protocol's REST endpoints through a real Kestrel: health, metadata, inference in JSON and binary, and every client mistake as a 4xx with the protocol's error object.</summary>
public sealed class RestProtocolTests : IAsyncLifetime
{
    private static readonly Layer Model = ServingHost.Model();
    private ServingHost _host = null!;

    public async Task InitializeAsync() => _host = await ServingHost.StartAsync(services => services.AddInference("mlp", Model, new ServedModelOptions { InputShape = ServingHost.Example }));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Tensor Input(int i) => Tensor.Normal(new Key(100).Fold((ulong)i), ServingHost.Example);

    private static float[] Alone(Tensor x) => Model.Forward(x.Reshape(new Shape(1, 12))).ToFloat32Array();

    private static string InferBody(IEnumerable<Tensor> examples, string name = "input", string datatype = "FP32", string? shape = null, string? id = null)
    {
        var list = examples.ToList();
        var data = string.Join(", ", list.SelectMany(x => x.ToFloat32Array()).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        return $$"""{ {{(id is null ? "" : $"\"id\": \"{id}\", ")}}"inputs": [ { "name": "{{name}}", "datatype": "{{datatype}}", "shape": {{shape ?? $"[{list.Count}, 12]"}}, "data": [{{data}}] } ] }""";
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string body, string path = "/v2/models/mlp/infer")
    {
        using var response = await _host.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Health_server_and_model_metadata_are_the_protocols()
    {
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/v2/models/mlp/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/v2/models/mlp/versions/1/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Http.GetAsync("/v2/models/other/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Http.GetAsync("/v2/models/mlp/versions/7/ready")).StatusCode);
        var server = await _host.Http.GetFromJsonAsync<JsonElement>("/v2");
        Assert.Equal("pipelines", server.GetProperty("name").GetString());
        Assert.Contains("binary_tensor_data", server.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        var metadata = await _host.Http.GetFromJsonAsync<JsonElement>("/v2/models/mlp");
        Assert.Equal("mlp", metadata.GetProperty("name").GetString());
        Assert.Equal(["1"], metadata.GetProperty("versions").EnumerateArray().Select(e => e.GetString()));
        var input = metadata.GetProperty("inputs")[0];
        Assert.Equal(("input", "FP32"), (input.GetProperty("name").GetString(), input.GetProperty("datatype").GetString()));
        Assert.Equal([-1L, 12L], input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        var output = metadata.GetProperty("outputs")[0];
        Assert.Equal(("output", "FP32"), (output.GetProperty("name").GetString(), output.GetProperty("datatype").GetString()));
        Assert.Equal([-1L, 4L], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(metadata.GetRawText(), (await _host.Http.GetFromJsonAsync<JsonElement>("/v2/models/mlp/versions/1")).GetRawText());
    }

    [Fact]
    public async Task A_request_of_several_examples_is_answered_in_order_each_bitwise_its_answer_alone()
    {
        var examples = Enumerable.Range(0, 5).Select(Input).ToList();
        var (status, body) = await PostAsync(InferBody(examples, id: "42"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("mlp", "1", "42"), (body.GetProperty("model_name").GetString(), body.GetProperty("model_version").GetString(), body.GetProperty("id").GetString()));
        var output = body.GetProperty("outputs")[0];
        Assert.Equal(("output", "FP32"), (output.GetProperty("name").GetString(), output.GetProperty("datatype").GetString()));
        Assert.Equal([5L, 4L], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        var data = output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(examples.SelectMany(Alone).Select(BitConverter.SingleToInt32Bits), data.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public async Task Many_clients_at_once_each_get_their_own_answer_bitwise()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            var (status, body) = await PostAsync(InferBody([Input(i)]));
            Assert.Equal(HttpStatusCode.OK, status);
            return body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => BitConverter.SingleToInt32Bits(e.GetSingle())).ToArray();
        }));
        for (var i = 0; i < answers.Length; i++)
            Assert.Equal(Alone(Input(i)).Select(BitConverter.SingleToInt32Bits), answers[i]);
    }

    [Fact]
    public async Task Nested_data_in_the_tensors_natural_form_reads_as_the_flat_form()
    {
        var x = Input(1);
        var rows = string.Join(", ", x.ToFloat32Array().Chunk(4).Select(r => "[" + string.Join(", ", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]"));
        var (status, body) = await PostAsync("""{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 12], "data": [[""" + rows + "]]}]}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Alone(x).Select(BitConverter.SingleToInt32Bits), body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => BitConverter.SingleToInt32Bits(e.GetSingle())));
    }

    [Fact]
    public async Task The_binary_extension_takes_and_gives_raw_elements_after_the_json_header()
    {
        var examples = new[] { Input(7), Input(8) };
        var raw = MemoryMarshal.AsBytes(examples.SelectMany(e => e.ToFloat32Array()).ToArray().AsSpan()).ToArray();
        var header = Encoding.UTF8.GetBytes($$$"""{"inputs": [{"name": "input", "datatype": "FP32", "shape": [2, 12], "parameters": {"binary_data_size": {{{raw.Length}}}}}], "outputs": [{"name": "output", "parameters": {"binary_data": true}}]}""");
        using var content = new ByteArrayContent([.. header, .. raw]);
        content.Headers.ContentType = new("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await _host.Http.PostAsync("/v2/models/mlp/infer", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        var jsonLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var json = JsonDocument.Parse(body.AsMemory(0, jsonLength)).RootElement;
        Assert.Equal(2 * 4 * 4, json.GetProperty("outputs")[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        var floats = MemoryMarshal.Cast<byte, float>(body.AsSpan(jsonLength)).ToArray();
        Assert.Equal(examples.SelectMany(Alone).Select(BitConverter.SingleToInt32Bits), floats.Select(BitConverter.SingleToInt32Bits));
    }

    public static TheoryData<string, string> ClientMistakes() => new()
    {
        { InferBody([Input(0)], shape: "[1, 13]"), "has shape [-1, 12] (a batch of examples), but the request gives [1, 13]" },
        { InferBody([Input(0)], shape: "[12]"), "has shape [-1, 12] (a batch of examples), but the request gives [12]" },
        { InferBody([Input(0)], shape: "[2, 12]"), "has shape [2, 12], which holds 24 elements, but the request gives 12" },
        { InferBody([Input(0)], datatype: "FP64"), "Input 'input' of model 'mlp' is FP32, but the request gives FP64" },
        { InferBody([Input(0)], datatype: "UINT8"), "Input 'input' has datatype 'UINT8'; this server serves FP32, FP64 and INT64 tensors" },
        { InferBody([Input(0)], name: "pixels"), "Model 'mlp' has no input 'pixels'; its input is 'input'" },
        { """{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 12], "data": [1, 2, "x"]}]}""", "Input 'input' has String in its data" },
        { """{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 12], "data": [1, 2,""", "The request body is not valid JSON" },
        { """{"inputs": {}}""", "The request must have \"inputs\", an array of tensors" },
        { """{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 12], "data": [1,2,3,4,5,6,7,8,9,10,11,12]}], "outputs": [{"name": "logits"}]}""", "Model 'mlp' has no output 'logits'; its output is 'output'" },
    };

    [Theory]
    [MemberData(nameof(ClientMistakes))]
    public async Task A_client_mistake_is_a_400_naming_what_was_expected_and_given(string body, string message)
    {
        var (status, error) = await PostAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_or_version_is_a_404_with_the_protocols_error()
    {
        var (status, error) = await PostAsync(InferBody([Input(0)]), "/v2/models/other/infer");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("No model named 'other' is served (served: mlp)", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, error) = await PostAsync(InferBody([Input(0)]), "/v2/models/mlp/versions/3/infer");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("Model 'mlp' has no version '3'; it serves version 1", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(InferBody([Input(0)]), "/v2/models/mlp/versions/1/infer")).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_larger_than_the_first_buffer_is_read_whole_with_or_without_a_declared_length(bool chunked)
    {
        var examples = Enumerable.Range(0, 3).Select(Input).ToList();
        var padded = InferBody(examples).Replace("\"inputs\"", new string(' ', 3 << 20) + "\"inputs\"", StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/mlp/infer") { Content = new StringContent(padded, Encoding.UTF8, "application/json") };
        request.Headers.TransferEncodingChunked = chunked;
        using var response = await _host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var data = JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle());
        Assert.Equal(examples.SelectMany(Alone).Select(BitConverter.SingleToInt32Bits), data.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public async Task A_body_over_the_servers_limit_is_a_400_naming_the_limit()
    {
        await using var small = await ServingHost.StartAsync(services => services.AddInference("mlp", Model, new ServedModelOptions { InputShape = ServingHost.Example }), maxRequestBodySize: 1000);
        using var response = await small.Http.PostAsync("/v2/models/mlp/infer", new StringContent(InferBody(Enumerable.Range(0, 20).Select(Input)), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("The max request body size is 1000 bytes", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_declared_length_over_the_limit_is_a_400_without_allocating_it()
    {
        await using var small = await ServingHost.StartAsync(services => services.AddInference("mlp", Model, new ServedModelOptions { InputShape = ServingHost.Example }), maxRequestBodySize: 1000);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var (status, answer) = await RawPostAsync(small.Http.BaseAddress!, declaredLength: 1_900_000_000, sent: "{}"u8.ToArray());
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(400, status);
        Assert.Contains("The max request body size is 1000 bytes", answer, StringComparison.Ordinal);
        Assert.True(allocated < 200_000_000, $"Answering a request that declares 1.9 GB and sends 2 bytes allocated {allocated} bytes.");
    }

    /// <summary>A POST whose Content-Length says what the client likes, sent over a socket as HttpClient never would.</summary>
    private static async Task<(int Status, string Answer)> RawPostAsync(Uri server, long declaredLength, byte[] sent)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        var head = $"POST /v2/models/mlp/infer HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\nContent-Length: {declaredLength}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(sent);
        // Kestrel closes the connection after refusing a body, so the whole answer is what arrives until then.
        var answer = await new StreamReader(stream, Encoding.UTF8).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (int.Parse(answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture), answer);
    }

    [Fact]
    public async Task A_bad_timeout_header_is_a_400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/mlp/infer") { Content = new StringContent(InferBody([Input(0)]), Encoding.UTF8, "application/json") };
        request.Headers.Add("Request-Timeout-Ms", "soon");
        using var response = await _host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Request-Timeout-Ms header must be a positive number of milliseconds, but it is 'soon'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
