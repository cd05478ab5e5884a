using Pipelines.Examples;
using Pipelines.Examples.Commands;

// The examples: with no arguments the main job (digits); otherwise a subcommand. `--help` lists them.
var commands = new (string Name, string Description, Func<CommandLine, Task<int>> Run)[]
{
    ("digits", DigitsCommand.Description, DigitsCommand.Run),
    ("fashion", FashionCommand.Description, FashionCommand.Run),
    ("binary", BinaryCommand.Description, BinaryCommand.Run),
    ("regression", RegressionCommand.Description, RegressionCommand.Run),
    ("multilabel", MultilabelCommand.Description, MultilabelCommand.Run),
    ("autoencoder", AutoencoderCommand.Description, AutoencoderCommand.Run),
    ("vae", VaeCommand.Description, VaeCommand.Run),
    ("gan", GanCommand.Description, GanCommand.Run),
    ("transformer", TransformerCommand.Description, TransformerCommand.Run),
    ("projection", ProjectionCommand.Description, ProjectionCommand.Run),
    ("lowrank", LowRankCommand.Description, LowRankCommand.Run),
    ("gradients", GradientsCommand.Description, GradientsCommand.Run),
    ("inspect", InspectCommand.Description, InspectCommand.Run),
    ("serve", ServeCommand.Description, ServeCommand.Run),
    ("cluster", ClusterCommand.Description, ClusterCommand.Run),
    ("bench", BenchCommand.Description, BenchCommand.Run),
};
var name = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "digits";
if (args.Contains("--help") || commands.All(c => c.Name != name))
{
    Console.WriteLine("dotnet run -c Release --project examples/Pipelines.Examples -- [command] [options]\n");
    foreach (var (command, description, _) in commands)
        Console.WriteLine($"  {command,-12} {description}");
    return args.Contains("--help") ? 0 : 1;
}
return await commands.Single(c => c.Name == name).Run(new CommandLine(args.Length > 0 && args[0] == name ? args[1..] : args));
