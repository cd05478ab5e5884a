using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Pipelines.Serving.Tests;

/// <summary>
/// The REST answers in the shapes the Open Inference Protocol's specification gives ($metadata_server_response,
/// $metadata_model_response with $metadata_tensor, $inference_response with $response_output, the error objects, and
/// health as a status with an empty body), field by field: no field missing, none the specification does not name.
/// </summary>
public sealed class ProtocolConformanceTests : IAsyncLifetime
{
    private ServingHost _host = null!;

    public async Task InitializeAsync() => _host = await ServingHost.StartAsync(services => services.AddInference("mlp", ServingHost.Model(), new ServedModelOptions { InputShape = ServingHost.Example }));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static void HasExactly(JsonElement element, params string[] fields) =>
        Assert.Equal(fields.Order(StringComparer.Ordinal), element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await _host.Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/v2/health/live")]
    [InlineData("/v2/health/ready")]
    [InlineData("/v2/models/mlp/ready")]
    [InlineData("/v2/models/mlp/versions/1/ready")]
    public async Task Health_is_a_200_with_an_empty_body(string path) => Assert.Equal((HttpStatusCode.OK, string.Empty), await GetAsync(path));

    [Fact]
    public async Task Server_metadata_is_name_version_and_extensions()
    {
        var (_, body) = await GetAsync("/v2");
        var server = JsonDocument.Parse(body).RootElement;
        HasExactly(server, "name", "version", "extensions");
        Assert.Equal(JsonValueKind.String, server.GetProperty("version").ValueKind);
        Assert.All(server.GetProperty("extensions").EnumerateArray(), e => Assert.Equal(JsonValueKind.String, e.ValueKind));
    }

    [Fact]
    public async Task Model_metadata_is_name_versions_platform_inputs_and_outputs_of_tensor_metadata()
    {
        var (_, body) = await GetAsync("/v2/models/mlp");
        var model = JsonDocument.Parse(body).RootElement;
        HasExactly(model, "name", "versions", "platform", "inputs", "outputs");
        foreach (var tensor in model.GetProperty("inputs").EnumerateArray().Concat(model.GetProperty("outputs").EnumerateArray()))
        {
            HasExactly(tensor, "name", "datatype", "shape");
            Assert.All(tensor.GetProperty("shape").EnumerateArray(), d => Assert.True(d.TryGetInt64(out _)));
        }
    }

    [Fact]
    public async Task An_inference_response_is_model_name_version_id_and_outputs_of_response_outputs()
    {
        var data = string.Join(", ", Enumerable.Repeat("0.25", 12));
        using var response = await _host.Http.PostAsync("/v2/models/mlp/infer", new StringContent($$"""{"id": "42", "inputs": [{"name": "input", "shape": [1, 12], "datatype": "FP32", "data": [{{data}}]}], "outputs": [{"name": "output"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        HasExactly(answer, "model_name", "model_version", "id", "outputs");
        HasExactly(answer.GetProperty("outputs")[0], "name", "shape", "datatype", "data");
        // Without an id in the request there is none to return.
        using var anonymous = await _host.Http.PostAsync("/v2/models/mlp/infer", new StringContent($$"""{"inputs": [{"name": "input", "shape": [1, 12], "datatype": "FP32", "data": [{{data}}]}]}""", Encoding.UTF8, "application/json"));
        HasExactly(JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync()).RootElement, "model_name", "model_version", "outputs");
    }

    [Theory]
    [InlineData("/v2/models/other", "GET")]
    [InlineData("/v2/models/mlp/infer", "POST")]
    public async Task A_failed_request_is_an_error_status_with_only_an_error_string(string path, string method)
    {
        using var response = await _host.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? new StringContent("{}", Encoding.UTF8, "application/json") : null });
        Assert.True((int)response.StatusCode is >= 400 and < 500, response.StatusCode.ToString());
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        HasExactly(error, "error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("error").ValueKind);
    }
}
