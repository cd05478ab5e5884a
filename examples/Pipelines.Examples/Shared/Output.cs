using Spectre.Console;

namespace Pipelines.Examples;

/// <summary>
/// Where a command writes its files (a folder under the current directory, <c>runs/NAME</c>, unless <c>--out</c> says
/// otherwise) and how it talks: Spectre.Console's live widgets in a terminal, plain lines when output is redirected or
/// <c>CI=true</c>.
/// </summary>
public sealed class Output
{
    public Output(string command, CommandLine line)
    {
        Directory = System.IO.Directory.CreateDirectory(line.String("out", Path.Combine("runs", command))).FullName;
        Plain = Console.IsOutputRedirected || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) || line.Flag("plain");
    }

    /// <summary>The folder for this command's files.</summary>
    public string Directory { get; }

    /// <summary>Whether to print plain lines instead of live widgets.</summary>
    public bool Plain { get; }

    /// <summary>A path in the command's folder.</summary>
    public string File(string name) => Path.Combine(Directory, name);

    /// <summary>A line of text (markup-free).</summary>
    public void Line(string text)
    {
        if (Plain)
            Console.WriteLine(text);
        else
            AnsiConsole.WriteLine(text);
    }

    /// <summary>The command's result line, set apart.</summary>
    public void Result(string text)
    {
        if (Plain)
            Console.WriteLine("RESULT " + text);
        else
            AnsiConsole.MarkupLine($"[bold green]RESULT[/] {Markup.Escape(text)}");
    }

    /// <summary>A table (rendered by Spectre.Console, or as aligned text).</summary>
    public void Table(string title, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        if (Plain)
        {
            Console.WriteLine(title);
            var widths = header.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
            Console.WriteLine(string.Join("  ", header.Select((h, i) => h.PadLeft(widths[i]))));
            foreach (var row in all)
                Console.WriteLine(string.Join("  ", row.Select((c, i) => c.PadLeft(widths[i]))));
            return;
        }
        var table = new Spectre.Console.Table { Title = new TableTitle(title) };
        foreach (var h in header)
            table.AddColumn(new TableColumn(Markup.Escape(h)).RightAligned());
        foreach (var row in all)
            table.AddRow([.. row.Select(Markup.Escape)]);
        AnsiConsole.Write(table);
    }
}
