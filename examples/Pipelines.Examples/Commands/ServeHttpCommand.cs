using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Pipelines.IO;
using Pipelines.Serving;
using Pipelines.Tensors;

namespace Pipelines.Examples.Commands;

/// <summary>
/// <c>serve --http PORT</c>: the main job's saved digits model over the network in the Open Inference Protocol, REST on
/// PORT and gRPC on PORT + 1, on 127.0.0.1; prints a <c>curl</c> line with a real test digit to try. Ctrl+C stops it
/// after answering what it took.
/// </summary>
public static class ServeHttpCommand
{
    public static async Task<int> Run(CommandLine line)
    {
        var port = line.Int("http", 8080);
        var path = line.String("model", Path.Combine("runs", "digits", "digits.safetensors"));
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"No digits model at {Path.GetFullPath(path)}: run the main job first (dotnet run -c Release --project examples/Pipelines.Examples), or give --model PATH.");
            return 1;
        }
        var model = StateDict.Load(DigitsCommand.Architecture(new Key(0)), SafeTensors.Load(path));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Listen(IPAddress.Loopback, port + 1, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddInference("digits", model, new ServedModelOptions { InputShape = new Shape(64) });
        var app = builder.Build();
        app.MapInference();
        var (_, _, testX, testY) = DataSets.Digits();
        var pixels = string.Join(",", testX[0].ToFloat32Array().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        Console.WriteLine($"Serving {Path.GetFullPath(path)} as 'digits': REST on http://127.0.0.1:{port}, gRPC on http://127.0.0.1:{port + 1}. Ctrl+C stops.");
        Console.WriteLine($"The first test digit is a {testY[0].Item<long>()}; ask the server what it is:");
        Console.WriteLine($$"""curl -s http://127.0.0.1:{{port}}/v2/models/digits/infer -H 'Content-Type: application/json' -d '{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 64], "data": [{{pixels}}]}]}'""");
        await app.RunAsync();
        return 0;
    }
}
