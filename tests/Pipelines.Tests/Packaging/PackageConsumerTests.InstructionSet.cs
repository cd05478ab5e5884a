using Pipelines.Tests.Architecture;
using Xunit;

namespace Pipelines.Tests.Packaging;

/// <summary>The package's targets warn an app that publishes Native AOT for the baseline x64 instruction set, and only then.</summary>
public sealed partial class PackageConsumerTests
{
    [Theory]
    [InlineData("-p:PublishAot=true", true)]
    [InlineData("-p:PublishAot=true -p:RuntimeIdentifier=linux-x64", true)]
    [InlineData("-p:PublishAot=true -p:IlcInstructionSet=native", false)]
    [InlineData("-p:PublishAot=true -p:PipelinesInstructionSetWarning=false", false)]
    [InlineData("-p:PublishAot=true -p:RuntimeIdentifier=linux-arm64", false)]
    [InlineData("-p:PublishAot=false", false)]
    public void Publishing_AOT_without_an_instruction_set_warns_with_the_property_to_set(string properties, bool warns)
    {
        var work = Directory.CreateTempSubdirectory("pipelines-aot-");
        try
        {
            // The targets alone, as the package's buildTransitive folder imports them into an app.
            var targets = Path.Combine(SourceTree.Library, "buildTransitive", "Pipelines.targets");
            File.WriteAllText(Path.Combine(work.FullName, "App.proj"), $"""
                <Project>
                  <Import Project="{targets}" />
                  <Target Name="PrepareForPublish" />
                </Project>
                """);
            var output = Run("dotnet", ["msbuild", "App.proj", "-t:PrepareForPublish", "-nologo", .. properties.Split(' ')], work.FullName);
            Assert.Equal(warns, output.Contains("warning PIPELINES0001", StringComparison.Ordinal));
            if (warns)
                Assert.Contains("Set <IlcInstructionSet>native</IlcInstructionSet>", output, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
