using System.Text.Json;
using Pipelines.Optim;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// Every scheduler in <c>schedules.safetensors</c>: the learning rate PyTorch's scheduler gave at each of 30 steps (and
/// the one-cycle momentum), against ours at the same steps; ReduceLROnPlateau fed the file's metrics through Observe.
/// </summary>
public sealed class ScheduleConformance
{
    private const string FileName = "schedules.safetensors";

    public static TheoryData<string> Cases() => GoldenFiles.CaseNames(FileName);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_step_matches_PyTorchs_scheduler(string name)
    {
        var file = GoldenFiles.Load(FileName);
        var d = GoldenFiles.Cases(FileName)[name];
        var expected = file.Tensor($"{name}.lr").ToFloat64Array();
        var rate = d.GetProperty("base_lr").GetDouble();
        int Int(string key) => d.GetProperty(key).GetInt32();
        double Number(string key) => d.GetProperty(key).GetDouble();
        var actual = d.GetProperty("schedule").GetString() switch
        {
            "step" => Steps(Schedules.Step(rate, Int("step_size"), Number("gamma")), expected.Length),
            "multi_step" => Steps(Schedules.MultiStep(rate, d.GetProperty("milestones").EnumerateArray().Select(e => e.GetInt32()), Number("gamma")), expected.Length),
            "exponential" => Steps(Schedules.Exponential(rate, Number("gamma")), expected.Length),
            "cosine" => Steps(Schedules.Cosine(rate, Int("t_max"), Number("eta_min")), expected.Length),
            "linear" => Steps(Schedules.Linear(rate, Number("start_factor"), Number("end_factor"), Int("total_iters")), expected.Length),
            "sequential" => Steps(Schedules.Sequential([Schedules.Linear(rate, Number("warmup_start"), 1, Int("warmup")), Schedules.Cosine(rate, Int("t_max"))], [Int("warmup")]), expected.Length),
            "one_cycle" => Steps(OneCycle(d, rate, momentum: false), expected.Length),
            "plateau" => Plateau(d, file, rate, expected.Length),
            var other => throw new Xunit.Sdk.XunitException($"The file has a '{other}' schedule, which this suite does not know."),
        };
        for (var step = 0; step < expected.Length; step++)
            Assert.True(Math.Abs(actual[step] - expected[step]) <= 1e-12 * (1 + Math.Abs(expected[step])), $"{name}, step {step}: ours {actual[step]:R}, PyTorch {expected[step]:R}");
        if (file.Tensors.ContainsKey($"{name}.momentum"))
        {
            var momentum = file.Tensor($"{name}.momentum").ToFloat64Array();
            var ours = Steps(OneCycle(d, rate, momentum: true), momentum.Length);
            for (var step = 0; step < momentum.Length; step++)
                Assert.True(Math.Abs(ours[step] - momentum[step]) <= 1e-12, $"{name} momentum, step {step}: ours {ours[step]:R}, PyTorch {momentum[step]:R}");
        }
    }

    private static double[] Steps(Schedule schedule, int count) => [.. Enumerable.Range(0, count).Select(step => schedule(step))];

    private static Schedule OneCycle(JsonElement d, double rate, bool momentum)
    {
        var (total, pct) = (d.GetProperty("total_steps").GetInt32(), d.GetProperty("pct_start").GetDouble());
        var annealing = d.GetProperty("anneal").GetString() == "cos" ? Annealing.Cosine : Annealing.Linear;
        var threePhase = d.GetProperty("three_phase").GetBoolean();
        return momentum
            ? Schedules.OneCycleMomentum(total, pct, annealing: annealing, threePhase: threePhase)
            : Schedules.OneCycle(d.GetProperty("max_lr").GetDouble(), total, pct, annealing, threePhase: threePhase);
    }

    /// <summary>The rate at each step: base rate times the plateau's scale, the metric observed after each step, as PyTorch's loop does.</summary>
    private static double[] Plateau(JsonElement d, Pipelines.IO.SafeTensorsFile file, double rate, int count)
    {
        var metrics = file.Tensor(d.GetProperty("metrics").GetString()!).ToFloat64Array();
        var plateau = Optimizers.ReduceOnPlateau(d.GetProperty("factor").GetDouble(), d.GetProperty("patience").GetInt32(), d.GetProperty("threshold").GetDouble(), cooldown: d.GetProperty("cooldown").GetInt32(), minimumScale: d.GetProperty("min_lr").GetDouble() / rate);
        var state = plateau.Init(Pipelines.Layers.NamedTensors.Empty);
        var rates = new double[count];
        for (var step = 0; step < count; step++)
        {
            rates[step] = rate * ((PlateauState)state).Scale;
            state = state.Observe(metrics[step]);
        }
        return rates;
    }
}
