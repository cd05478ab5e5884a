using System.Threading.Tasks.Dataflow;
using Xunit;

namespace Pipelines.Tests.Dataflow;

/// <summary>
/// What TPL Dataflow itself does, kept as documentation for whoever changes the graphs: these test the library the
/// graphs are built on, not the graphs. The training graph has one source per target and links without predicates,
/// so neither behaviour can reach it; <see cref="DataflowPitfallTests"/> holds the pitfalls shown against the graph.
/// </summary>
public sealed class TplDataflowBehaviour
{
    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(200);

    // How long something that does happen may take on a loaded machine (Wait is how long we watch for what must not).
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Tpl_completion_propagated_from_two_sources_completes_the_target_on_the_first()
    {
        var (first, second) = (new BufferBlock<int>(), new BufferBlock<int>());
        var received = new List<int>();
        var target = new ActionBlock<int>(received.Add);
        first.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
        second.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
        first.Complete();
        await target.Completion.WaitAsync(Patience);
        second.Post(1);
        await Task.Delay(50);
        Assert.Empty(received);
        Assert.Equal(1, second.Count);
    }

    [Fact]
    public async Task Tpl_a_LinkTo_predicate_that_no_target_accepts_stalls_its_source()
    {
        var source = new BufferBlock<int>();
        var target = new BufferBlock<int>();
        source.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true }, i => i > 0);
        source.Post(0);
        source.Post(1);
        source.Complete();
        Assert.NotSame(target.Completion, await Task.WhenAny(target.Completion, Task.Delay(Wait)));
        Assert.Equal(0, target.Count);
        Assert.Equal(2, source.Count);
    }
}
