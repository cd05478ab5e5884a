using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Pipelines.Tests.Architecture;
using Xunit;

namespace Pipelines.Tests.Packaging;

/// <summary>
/// The library as a user gets it: packed, referenced from a local folder by a separate console app (not a project
/// reference) that runs each C# block of the README and of docs/training.md as pasted, alone, and then ordinary LINQ
/// beside all their usings (LanguageExt's global extensions used to break it), built with warnings as errors; the GC
/// settings the package supplies reach the app's runtime config. The blocks of docs/testing.md, docs/serving.md and
/// docs/distributed.md run below, in the projects they need.
/// </summary>
public sealed partial class PackageConsumerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    [Fact]
    public void A_console_app_referencing_the_package_runs_the_READMEs_code_and_keeps_its_own_LINQ()
    {
        var work = Directory.CreateTempSubdirectory("pipelines-consumer-");
        var version = $"0.1.0-consumer.{Guid.NewGuid():N}";
        var cache = Path.Combine(GlobalPackages(), "pipelines", version);
        try
        {
            var feed = Pack(work.FullName, version, Path.Combine(SourceTree.Library, "Pipelines.csproj"));

            var package = Path.Combine(feed, $"Pipelines.{version}.nupkg");
            var dependency = LanguageExtDependency(package);
            Assert.Contains("Compile", dependency, StringComparison.Ordinal);

            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "app")).FullName;
            UseFeed(app, feed);
            ConsoleApp(app, "Consumer", "Pipelines", version);
            File.Copy(Path.Combine(SourceTree.Root, "examples", "Pipelines.Examples", "Data", "digits.csv.gz"), Path.Combine(app, "digits.csv.gz"));
            File.Copy(Path.Combine(SourceTree.Root, "tests", "Pipelines.Tests", "Golden", "mlp.safetensors"), Path.Combine(app, "pytorch_mlp.safetensors"));
            // Each block alone, as pasted into a new app's Program.cs; then the blocks' usings with LINQ of the app's own.
            var programs = Blocks("README.md").Concat(Blocks(Path.Combine("docs", "training.md"))).ToList();
            Assert.True(programs.Count >= 5, "The README lost its tour, its step by hand, its serving block or its own layer, or docs/training.md its run.");
            var output = string.Join('\n', programs.Select(program =>
            {
                File.WriteAllText(Path.Combine(app, "Program.cs"), program);
                return Run("dotnet", ["run", "-c", "Release"], app);
            }));
            var usings = programs.SelectMany(program => program.Split('\n').Where(IsUsing)).Distinct();
            File.WriteAllText(Path.Combine(app, "Program.cs"), string.Join('\n', usings) + """

                var matches = new[] { 1, 2 }.Zip(new long[] { 1, 3 }).Count(p => p.First == p.Second);
                Console.WriteLine($"LINQ still works: {matches}");
                """);
            output += Run("dotnet", ["run", "-c", "Release"], app);
            Assert.Contains("LINQ still works: 1", output, StringComparison.Ordinal);
            Assert.Contains("Total parameters: 235,146", output, StringComparison.Ordinal);
            Assert.Contains("reloaded outputs identical: True", output, StringComparison.Ordinal);
            Assert.Matches(@"step 2: loss \d+\.\d{4}", output);
            Assert.Matches(@"epoch \d+: accuracy \d+\.\d %", output);
            Assert.Matches(@"after \d+ steps", output);
            Assert.Contains("served 450; bitwise as alone: True", output, StringComparison.Ordinal);
            Assert.Contains("served 450 test digits, 411 right", output, StringComparison.Ordinal);
            // The package supplies the GC settings a training loop needs (buildTransitive/Pipelines.targets).
            var runtimeConfig = File.ReadAllText(Directory.GetFiles(Path.Combine(app, "bin"), "Consumer.runtimeconfig.json", SearchOption.AllDirectories).Single());
            Assert.Contains("\"System.GC.LOHThreshold\": 67108864", runtimeConfig, StringComparison.Ordinal);
            Assert.Contains("\"System.GC.Concurrent\": false", runtimeConfig, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
            if (Directory.Exists(cache))
                Directory.Delete(cache, recursive: true);
        }
    }

    /// <summary>
    /// The worked example of the testing kit, as a user runs it: a layer of their own in a class library and its laws in
    /// a test project, both referencing the packed Pipelines and Pipelines.Testing from a local folder, with the
    /// test class of docs/testing.md pasted in as a file of its own; every law passes.
    /// </summary>
    [Fact]
    public void A_users_own_layer_passes_the_testing_kits_laws_through_the_packages()
    {
        var work = Directory.CreateTempSubdirectory("pipelines-kit-");
        var version = $"0.1.0-kit.{Guid.NewGuid():N}";
        var caches = new[] { "pipelines", "pipelines.testing" }.Select(id => Path.Combine(GlobalPackages(), id, version)).ToList();
        try
        {
            var feed = Pack(work.FullName, version, Path.Combine(SourceTree.Library, "Pipelines.csproj"), Path.Combine(SourceTree.Root, "src", "Pipelines.Testing", "Pipelines.Testing.csproj"));
            var example = Path.Combine(work.FullName, "UserLayer");
            CopyDirectory(Path.Combine(SourceTree.Root, "examples", "UserLayer"), example);
            UseFeed(example, feed);
            File.WriteAllText(Path.Combine(example, "GatedLinearUnit.Tests", "DocsLaws.cs"), Assert.Single(Blocks(Path.Combine("docs", "testing.md")), IsTestClass));
            var output = Run("dotnet", ["test", Path.Combine(example, "GatedLinearUnit.Tests"), $"-p:PipelinesVersion={version}"], example);
            Assert.Matches(@"Passed!\s+- Failed:\s+0, Passed:\s+14", output);
        }
        finally
        {
            work.Delete(recursive: true);
            foreach (var cache in caches.Where(Directory.Exists))
                Directory.Delete(cache, recursive: true);
        }
    }

    /// <summary>
    /// The network server as a user writes it: docs/serving.md's block as the Program.cs of a new web app referencing
    /// the packed Pipelines.Serving, run on a free port of 127.0.0.1, then asked for a digit's scores over HTTP.
    /// </summary>
    [Fact]
    public async Task A_web_app_referencing_the_serving_package_serves_the_docs_model_over_http()
    {
        var work = Directory.CreateTempSubdirectory("pipelines-serving-");
        var version = $"0.1.0-serving.{Guid.NewGuid():N}";
        var caches = new[] { "pipelines", "pipelines.serving" }.Select(id => Path.Combine(GlobalPackages(), id, version)).ToList();
        Process? server = null;
        try
        {
            var feed = Pack(work.FullName, version, Path.Combine(SourceTree.Library, "Pipelines.csproj"), Path.Combine(SourceTree.Root, "src", "Pipelines.Serving", "Pipelines.Serving.csproj"));
            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "server")).FullName;
            UseFeed(app, feed);
            File.WriteAllText(Path.Combine(app, "Server.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk.Web">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Pipelines.Serving" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), Blocks(Path.Combine("docs", "serving.md"))[0]);
            Run("dotnet", ["build", "-c", "Release"], app);
            var port = FreePort();
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "run", "-c", "Release", "--no-build", "--urls", $"http://127.0.0.1:{port}" })
                start.ArgumentList.Add(argument);
            server = Process.Start(start)!;
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var ready = false;
            for (var clock = Stopwatch.StartNew(); !ready && clock.Elapsed < Limit && !server.HasExited; await Task.Delay(200))
            {
                try
                {
                    ready = (await http.GetAsync("/v2/health/ready")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
            }
            Assert.True(ready, $"The server never became ready: {(server.HasExited ? await server.StandardError.ReadToEndAsync() : "still starting")}");
            var zeros = string.Join(", ", Enumerable.Repeat("0", 64));
            using var response = await http.PostAsync("/v2/models/digits/infer", new StringContent($$"""{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 64], "data": [{{zeros}}]}]}""", System.Text.Encoding.UTF8, "application/json"));
            var answer = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, answer);
            Assert.Contains("\"model_name\":\"digits\"", answer, StringComparison.Ordinal);
            Assert.Contains("\"shape\":[1,10]", answer, StringComparison.Ordinal);
        }
        finally
        {
            if (server is { HasExited: false })
                server.Kill(entireProcessTree: true);
            server?.Dispose();
            work.Delete(recursive: true);
            foreach (var cache in caches.Where(Directory.Exists))
                Directory.Delete(cache, recursive: true);
        }
    }

    /// <summary>
    /// The complete program of docs/distributed.md as a user runs it: a console app referencing the packed
    /// Pipelines.Orleans alone (Orleans comes with it), one silo on localhost clustering coordinating its own run,
    /// compared with one process.
    /// </summary>
    [Fact]
    public void A_console_app_referencing_the_orleans_package_trains_the_docs_cluster_program()
    {
        var work = Directory.CreateTempSubdirectory("pipelines-orleans-");
        var version = $"0.1.0-orleans.{Guid.NewGuid():N}";
        var caches = new[] { "pipelines", "pipelines.orleans" }.Select(id => Path.Combine(GlobalPackages(), id, version)).ToList();
        try
        {
            var feed = Pack(work.FullName, version, Path.Combine(SourceTree.Library, "Pipelines.csproj"), Path.Combine(SourceTree.Root, "src", "Pipelines.Orleans", "Pipelines.Orleans.csproj"));
            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "cluster")).FullName;
            UseFeed(app, feed);
            ConsoleApp(app, "Cluster", "Pipelines.Orleans", version);
            File.Copy(Path.Combine(SourceTree.Root, "examples", "Pipelines.Examples", "Data", "digits.csv.gz"), Path.Combine(app, "digits.csv.gz"));
            File.WriteAllText(Path.Combine(app, "Program.cs"), Blocks(Path.Combine("docs", "distributed.md")).Single(IsClusterProgram));
            var output = Run("dotnet", ["run", "-c", "Release"], app);
            Assert.Contains("steps on the cluster, bitwise the one-process run: True", output, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
            foreach (var cache in caches.Where(Directory.Exists))
                Directory.Delete(cache, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Packs the projects (as built by this test run's configuration) at <paramref name="version"/> into a new local feed folder.</summary>
    private static string Pack(string work, string version, params string[] projects)
    {
        var feed = Directory.CreateDirectory(Path.Combine(work, "feed")).FullName;
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        foreach (var project in projects)
            Run("dotnet", ["pack", project, "-c", configuration, "--no-build", "-o", feed, $"-p:PackageVersion={version}"], work);
        return feed;
    }

    /// <summary>A console app's project, as a user writes one, referencing <paramref name="package"/> at <paramref name="version"/>.</summary>
    private static void ConsoleApp(string directory, string name, string package, string version) => File.WriteAllText(Path.Combine(directory, $"{name}.csproj"), $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="{package}" Version="{version}" />
          </ItemGroup>
        </Project>
        """);

    /// <summary>Makes <paramref name="feed"/> the only package source of the app or solution in <paramref name="directory"/>.</summary>
    private static void UseFeed(string directory, string feed) => File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="local" value="{feed}" />
          </packageSources>
        </configuration>
        """);

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>The C# blocks of a Markdown file of the repository, each as it would be pasted: a program, or a test class of a test project.</summary>
    private static List<string> Blocks(string file) =>
        [.. CSharpBlock().Matches(File.ReadAllText(Path.Combine(SourceTree.Root, file))).Select(m => m.Groups[1].Value)];

    private static bool IsTestClass(string block) => block.Contains("[Property]", StringComparison.Ordinal);

    /// <summary>A complete program that needs the Orleans package (beside fragments of one in the same file).</summary>
    private static bool IsClusterProgram(string block) => block.Contains("using Pipelines.Orleans;", StringComparison.Ordinal);

    private static bool IsUsing(string line) => line.StartsWith("using ", StringComparison.Ordinal) && line.TrimEnd().EndsWith(';');

    /// <summary>The exclude attribute of the package's dependency on LanguageExt.Core: compile assets must not flow to users.</summary>
    private static string LanguageExtDependency(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        using var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var dependency = XDocument.Load(nuspec).Descendants().Single(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "LanguageExt.Core");
        return (string?)dependency.Attribute("exclude") ?? string.Empty;
    }

    private static string GlobalPackages()
    {
        var listed = Run("dotnet", ["nuget", "locals", "global-packages", "--list"], Path.GetTempPath());
        return listed[(listed.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static string Run(string command, string[] arguments, string directory)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {string.Join(' ', arguments)} took over {Limit}.");
        }
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{output.Result}\n{errors.Result}");
        return output.Result;
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
