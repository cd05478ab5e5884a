using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pipelines.Examples.Commands;
using Pipelines.IO;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Examples.Tests;

/// <summary>
/// <c>serve --http</c> in a child process, stopped with SIGTERM while clients keep sending: every request the server
/// took is answered 200, then it exits cleanly; requests after the stop find no listener rather than a half answer.
/// </summary>
public sealed class ServeShutdownTests
{
    [Fact]
    public async Task SIGTERM_under_load_answers_every_request_the_server_took_and_exits_cleanly()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        var folder = Directory.CreateTempSubdirectory("pipelines-serve-");
        using var server = new Process();
        try
        {
            var model = Path.Combine(folder.FullName, "digits.safetensors");
            StateDict.Save(model, DigitsCommand.Architecture(new Key(1)));
            var port = FreePort();
            server.StartInfo = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { typeof(ServeHttpCommand).Assembly.Location, "serve", "--http", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--model", model })
                server.StartInfo.ArgumentList.Add(argument);
            server.Start();
            var errors = server.StandardError.ReadToEndAsync();
            _ = server.StandardOutput.ReadToEndAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitReady(http, server, errors);
            var body = $$"""{"inputs": [{"name": "input", "datatype": "FP32", "shape": [4, 64], "data": [{{string.Join(",", Enumerable.Repeat("0.5", 256))}}]}]}""";
            var (answered, refused, failed) = (0, 0, new List<string>());
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        using var response = await http.PostAsync("/v2/models/digits/infer", new StringContent(body, Encoding.UTF8, "application/json"));
                        var text = await response.Content.ReadAsStringAsync();
                        lock (failed)
                        {
                            if (response.StatusCode == HttpStatusCode.OK && text.Contains("\"shape\":[4,10]", StringComparison.Ordinal))
                                answered++;
                            else
                                failed.Add($"{(int)response.StatusCode}: {text}");
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // No listener, or a kept-alive connection closed before this request was read: never taken.
                        lock (failed)
                            refused++;
                        await Task.Delay(20);
                    }
                }
            })).ToList();
            await Task.Delay(1000);
            var before = answered;
            using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync();
            using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                await server.WaitForExitAsync(exit.Token);
            await Task.Delay(300);
            stop.Cancel();
            await Task.WhenAll(clients);
            Assert.True(before > 0, "no request was answered before the stop");
            Assert.Empty(failed);
            Assert.Equal(0, server.ExitCode);
            Assert.True(refused > 0, "no request found the server gone, so the stop was not under load");
        }
        finally
        {
            if (!server.HasExited)
                server.Kill(entireProcessTree: true);
            folder.Delete(recursive: true);
        }
    }

    private static async Task WaitReady(HttpClient http, Process server, Task<string> errors)
    {
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(100))
        {
            if (server.HasExited)
                Assert.Fail($"The server exited {server.ExitCode}: {await errors}");
            try
            {
                if ((await http.GetAsync("/v2/health/ready")).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
        }
        Assert.Fail("The server never became ready.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
