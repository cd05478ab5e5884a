using System.Collections.Immutable;
using System.Globalization;
using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>How <see cref="Branches"/> joins its branches' outputs.</summary>
public enum Join
{
    /// <summary>Concatenated along the last axis.</summary>
    Concat,

    /// <summary>Added (the branches must agree in shape).</summary>
    Sum,
}

/// <summary>Branches applied to the same input and joined, named 0, 1, … like a chain's layers.</summary>
public sealed record Branches : Layer
{
    /// <summary>Branches joined by <paramref name="join"/>.</summary>
    public Branches(Join join, params IEnumerable<Layer> branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        Layers = [.. branches];
        if (Layers.IsEmpty || Layers.Any(b => b is null))
            throw new ArgumentException("Parallel needs at least one branch and no null branch.", nameof(branches));
        Join = join;
    }

    /// <summary>How outputs are joined.</summary>
    public Join Join { get; }

    /// <summary>The branches.</summary>
    public ImmutableArray<Layer> Layers { get; }

    /// <summary>Lists the branches.</summary>
    public override string ToString() =>
        $"Branches({Join},\n{string.Concat(Layers.Select((b, i) => $"  ({i}): {b.ToString()!.Replace("\n", "\n  ", StringComparison.Ordinal)}\n"))})";

    /// <inheritdoc/>
    protected internal override Traced Forward(Tensor x, ForwardContext context, string path)
    {
        var steps = Layers.Select((b, i) => b.Run(x, context, LayerPath.Join(path, Name(i)))).ToList();
        var outputs = steps.Select(s => s.Output).ToList();
        Tensor y;
        try
        {
            y = Join == Join.Concat ? Tensor.Concat(outputs) : outputs.Skip(1).Aggregate(outputs[0], (sum, o) => o.Shape == sum.Shape ? sum + o : throw new ArgumentException($"branch outputs {sum.Shape} and {o.Shape} differ"));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{LayerPath.Describe("Branches", path)} cannot {Join.ToString().ToLowerInvariant()} its branches: {e.Message}", nameof(x), e);
        }
        var next = steps.Select((s, i) => ReferenceEquals(s.Next, Layers[i])).All(same => same) ? this : new Branches(Join, steps.Select(s => s.Next));
        return new Traced(y, new BranchesTrace([.. steps.Select(s => s.Trace)], [.. outputs.Select(o => o.Rank == 0 ? 1 : o.Shape.Last)]), next);
    }

    /// <inheritdoc/>
    protected internal override (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path)
    {
        var saved = Expect<BranchesTrace>(trace, "Branches", path);
        Tensor? dx = null;
        var gradients = new Layer[Layers.Length];
        var offset = 0;
        for (var i = 0; i < Layers.Length; i++)
        {
            var part = Join == Join.Concat ? dy.Narrow(-1, offset, saved.Widths[i]) : dy;
            offset += saved.Widths[i];
            (var branchDx, gradients[i]) = Layers[i].Backward(saved.Children[i], part, LayerPath.Join(path, Name(i)));
            dx = dx is null ? branchDx : dx + branchDx;
        }
        return (dx!, new Branches(Join, gradients));
    }

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix) =>
        Layers.SelectMany((b, i) => b.NamedParameters(LayerPath.Join(prefix, Name(i))));

    /// <inheritdoc/>
    protected internal override Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map) =>
        new Branches(Join, Layers.Select((b, i) => b.MapParameters(LayerPath.Join(prefix, Name(i)), map)));

    /// <inheritdoc/>
    protected internal override IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix) =>
        Layers.SelectMany((b, i) => b.NamedBuffers(LayerPath.Join(prefix, Name(i))));

    /// <inheritdoc/>
    protected internal override Layer MapBuffers(string prefix, Func<string, Tensor, Tensor> map) =>
        new Branches(Join, Layers.Select((b, i) => b.MapBuffers(LayerPath.Join(prefix, Name(i)), map)));

    private static string Name(int index) => index.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The trace of <see cref="Branches"/>: each branch's trace and the width of its output along the last axis.</summary>
public sealed record BranchesTrace(ImmutableArray<Trace> Children, ImmutableArray<int> Widths) : Trace;
