using System.Globalization;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Spectre.Console;

namespace Pipelines.Examples;

/// <summary>Shows a training run's reports as they come (a live bar, or a plain line per epoch) and keeps them for plots.</summary>
public static class TrainingProgress
{
    /// <summary>Follows <paramref name="run"/> to its end and returns its result and every report.</summary>
    public static async Task<(TrainingResult<TModel> Result, List<TrainingReport> Reports)> Follow<TModel>(TrainingRun<TModel> run, int epochs, Output output)
        where TModel : Layer
    {
        var reports = new List<TrainingReport>();
        if (output.Plain)
        {
            await foreach (var report in run.Reports)
            {
                reports.Add(report);
                if (report is EvaluationReport or EpochReport && Describe(reports) is { } line && IsEpochEnd(report, reports))
                    Console.WriteLine(line);
            }
            return (await run.Completion, reports);
        }
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var bar = context.AddTask("training", maxValue: epochs);
                await foreach (var report in run.Reports)
                {
                    reports.Add(report);
                    if (report is StepReport step)
                        bar.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"epoch {step.Epoch + 1}/{epochs}  step {step.Step}  loss {step.Loss:F4}  {step.ExamplesPerSecond:N0} ex/s"));
                    if (report is EpochReport epoch)
                        bar.Value = epoch.Epoch + 1;
                }
                bar.Value = bar.MaxValue;
            });
        return (await run.Completion, reports);
    }

    private static bool IsEpochEnd(TrainingReport report, List<TrainingReport> reports) =>
        report is EvaluationReport || !reports.OfType<EvaluationReport>().Any();

    private static string? Describe(List<TrainingReport> reports)
    {
        var epoch = reports.OfType<EpochReport>().LastOrDefault();
        if (epoch is null)
            return null;
        var evaluation = reports.OfType<EvaluationReport>().LastOrDefault(e => e.Epoch == epoch.Epoch);
        var step = reports.OfType<StepReport>().Last();
        var text = string.Create(CultureInfo.InvariantCulture, $"epoch {epoch.Epoch + 1,3}: step {epoch.Step,6}, train loss {epoch.Metrics["loss"]:F4}");
        if (epoch.Metrics.TryGetValue("accuracy", out var trainAccuracy))
            text += string.Create(CultureInfo.InvariantCulture, $", train accuracy {trainAccuracy:P1}");
        if (evaluation is not null)
            text += string.Join(string.Empty, evaluation.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $", test {m.Key} {(m.Key == "accuracy" ? m.Value.ToString("P1", CultureInfo.InvariantCulture) : m.Value.ToString("F4", CultureInfo.InvariantCulture))}")));
        return text + string.Create(CultureInfo.InvariantCulture, $", {step.ExamplesPerSecond:N0} examples/s");
    }
}
