using System.Runtime.ExceptionServices;
using Orleans.Runtime.Placement;
using Pipelines.Autodiff;
using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Orleans;

/// <summary>
/// The cluster's side of a step: the micro-batches assigned to the living silos (one call per silo carrying the model
/// version once), their results put back at their global indices, and a silo that fails to answer dropped, its
/// micro-batches given to the others. Which silo computes a micro-batch never changes a bit: its pass is a pure
/// function of the model version, its rows and its key, and the trainer reduces in micro-batch order.
/// </summary>
internal sealed class ClusterGradients<TModel> : IRemoteGradients<TModel>
    where TModel : Layer
{
    private readonly IGrainFactory _grains;
    private readonly ClusterJob<TModel> _job;
    private readonly ClusterTrainerOptions _cluster;
    private readonly int _workers;
    private readonly ulong _runKey;
    private readonly HashSet<SiloAddress> _lost = [];
    private readonly System.Diagnostics.Stopwatch _renewed = System.Diagnostics.Stopwatch.StartNew();
    private (IClusterRun Run, string Coordinator)? _claim;

    /// <summary>How long an answer from membership may take at a step's start, and how many times it is asked.</summary>
    private static readonly TimeSpan MembershipAnswer = TimeSpan.FromSeconds(5);
    private const int MembershipAttempts = 6;

    private ClusterGradients(IGrainFactory grains, ClusterJob<TModel> job, ClusterTrainerOptions cluster, int workers, ulong runKey) =>
        (_grains, _job, _cluster, _workers, _runKey) = (grains, job, cluster, workers, runKey);

    /// <summary>Checks the job and the model on every silo, and that they all read the same number of examples; returns that number.</summary>
    public static async Task<(ClusterGradients<TModel> Gradients, long Count)> ConnectAsync(IGrainFactory grains, ClusterJob<TModel> job, ClusterTrainerOptions cluster, int workers, TModel model, Key runKey, (IClusterRun Run, string Coordinator) claim)
    {
        var gradients = new ClusterGradients<TModel>(grains, job, cluster, workers, runKey.Bits64) { _claim = claim };
        var silos = await gradients.LivingSilosAsync().ConfigureAwait(false);
        var (parameters, buffers) = (TensorSet.Of(model.NamedParameters()), TensorSet.Of(model.NamedBuffers()));
        var counts = await Task.WhenAll(silos.Select(s => Call(s, w => w.PrepareAsync(job.Name, parameters, buffers), gradients._grains))).ConfigureAwait(false);
        if (counts.Distinct().Count() > 1)
            throw new InvalidOperationException($"ClusterJob '{job.Name}': the silos read different data ({string.Join(", ", silos.Zip(counts, (s, c) => $"{s}: {c} examples"))}); every silo must open the same examples in the same order.");
        return (gradients, counts[0]);
    }

    public async Task<(ValueAndGradient<TModel>[] Gradients, Tensor Targets)> ComputeAsync(TModel model, Batch batch, IReadOnlyList<MicroBatch> parts, long step, Key key)
    {
        if (_claim is { } claim && _renewed.Elapsed > _cluster.Lease / 4)
        {
            await claim.Run.RenewAsync(claim.Coordinator, _cluster.Lease).ConfigureAwait(false);
            _renewed.Restart();
        }
        var (parameters, buffers) = (TensorSet.Of(model.NamedParameters()), TensorSet.Of(model.NamedBuffers()));
        var results = new PartResult?[parts.Count];
        var failures = new List<(int FirstPart, Exception Error)>();
        var calls = new List<(SiloAddress Silo, int[] Parts, Task<PartResult[]> Call)>();
        var unassigned = Enumerable.Range(0, parts.Count).ToList();
        var assignedTo = new HashSet<SiloAddress>();
        // Once a pass has failed nothing is sent again: the calls under way finish, and the lowest-indexed failure is the run's.
        while (calls.Count > 0 || (unassigned.Count > 0 && failures.Count == 0))
        {
            if (unassigned.Count > 0 && failures.Count == 0)
            {
                var silos = await LivingSilosAsync().ConfigureAwait(false);
                assignedTo.UnionWith(silos);
                foreach (var group in unassigned.GroupBy(i => silos[Assign(step, i, parts.Count, silos.Count)]))
                {
                    var work = new StepWork(_job.Name, _runKey, key.Bits64, batch.Epoch, parts.Count, _workers, parameters, buffers,
                        [.. group.Select(i => new PartWork(i, [.. parts[i].Indices!.Select(r => (int)r)], parts[i].Weight))]);
                    calls.Add((group.Key, [.. group], Call(group.Key, w => w.ComputeAsync(work), _grains)));
                }
                unassigned.Clear();
            }
            // Membership is asked again while a step waits: a silo it declares dead answers nothing, and its parts go elsewhere now.
            await Task.WhenAny([.. calls.Select(c => (Task)c.Call), Task.Delay(_cluster.MembershipPoll)]).ConfigureAwait(false);
            var active = calls.TrueForAll(c => !c.Call.IsCompleted) ? await ActiveSilosAsync(_cluster.MembershipPoll * 4).ConfigureAwait(false) : null;
            // A call to a living silo may have gone through a dead one's gateway and be lost with it: once a silo of the
            // step is gone, every call still waiting is sent again (a pass is a pure function: any answer is the same).
            var resend = active is not null && assignedTo.Any(s => !active.Contains(s));
            if (resend)
                assignedTo.IntersectWith(active!);
            foreach (var call in calls.ToList())
            {
                if (call.Call.IsCompletedSuccessfully)
                {
                    foreach (var result in call.Call.Result)
                        results[result.Index] = result;
                }
                else if (call.Call.IsFaulted && !IsSiloLost(call.Call.Exception!.InnerException!))
                {
                    failures.Add((call.Parts.Min(), call.Call.Exception.InnerException!));
                }
                else if (call.Call.IsFaulted || resend)
                {
                    if (call.Call.IsFaulted || !active!.Contains(call.Silo))
                        _lost.Add(call.Silo);
                    unassigned.AddRange(call.Parts);
                    _ = call.Call.ContinueWith(static c => c.Exception, TaskScheduler.Default);
                }
                else
                {
                    continue;
                }
                calls.Remove(call);
            }
        }
        // As in one process: the failure is the lowest-indexed micro-batch's, rethrown as it was thrown.
        if (failures.Count > 0)
            ExceptionDispatchInfo.Throw(failures.MinBy(f => f.FirstPart).Error);
        return (Assemble(model, results!), parts.Count == 1 ? results[0]!.Targets : Tensor.Concat([.. results.Select(r => r!.Targets)], 0));
    }

    /// <summary>The results as the one-process passes: the gradient and output of each, and the first's buffers carried on.</summary>
    private static ValueAndGradient<TModel>[] Assemble(TModel model, PartResult[] results) => [.. results.Select(r =>
    {
        var gradient = r.Gradient.ToNamedTensors();
        var buffers = r.Buffers?.ToNamedTensors();
        var after = buffers is null ? model : (TModel)model.MapBuffers((name, _) => buffers[name]);
        return new ValueAndGradient<TModel>(r.Loss, (TModel)model.MapParameters((name, _) => gradient[name]), after, r.Output);
    })];

    private int Assign(long step, int part, int parts, int silos)
    {
        var silo = _cluster.Assign?.Invoke(step, part, silos) ?? (int)((long)part * silos / parts);
        return silo >= 0 && silo < silos
            ? silo
            : throw new InvalidOperationException($"ClusterTrainerOptions.Assign gave silo {silo} for micro-batch {part} of step {step}, but there are {silos} living silos (0 to {silos - 1}).");
    }

    /// <summary>
    /// The silos membership lists as active, or null when the answer does not come within <paramref name="limit"/>: the
    /// question itself may have gone through a gateway that just died.
    /// </summary>
    private async Task<HashSet<SiloAddress>?> ActiveSilosAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            return [.. (await _grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, timeout.Token).ConfigureAwait(false)).Keys];
        }
        catch (Exception e) when (e is OperationCanceledException || IsSiloLost(e))
        {
            return null;
        }
    }

    /// <summary>The silos membership lists as active, less those this run lost, in a fixed order; asked again while the answer is lost in transit.</summary>
    private async Task<List<SiloAddress>> LivingSilosAsync()
    {
        var active = await ActiveSilosAsync(MembershipAnswer).ConfigureAwait(false);
        for (var attempt = 1; active is null && attempt < MembershipAttempts; attempt++)
            active = await ActiveSilosAsync(MembershipAnswer).ConfigureAwait(false);
        if (active is null)
            throw new TimeoutException($"The cluster's membership did not answer in {MembershipAttempts} attempts of {MembershipAnswer.TotalSeconds} s each: no silo can be given the step's micro-batches.");
        var living = active.Where(s => !_lost.Contains(s)).OrderBy(s => s.ToParsableString(), StringComparer.Ordinal).ToList();
        return living.Count > 0
            ? living
            : throw new InvalidOperationException($"No silo is left to compute the step's micro-batches ({_lost.Count} lost in this run: {string.Join(", ", _lost)}).");
    }

    /// <summary>Calls <paramref name="silo"/>'s worker; the hint places its activation there the first time.</summary>
    private static async Task<T> Call<T>(SiloAddress silo, Func<IGradientWorker, Task<T>> call, IGrainFactory grains)
    {
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        try
        {
            return await call(grains.GetGrain<IGradientWorker>(silo.ToParsableString())).ConfigureAwait(false);
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    /// <summary>Whether a call failed because its silo is gone (membership will say so in time), not because the pass threw.</summary>
    private static bool IsSiloLost(Exception e) =>
        e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException;
}
