using System.Collections.Immutable;
using System.Globalization;
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
    /// <param name="join">How the outputs are joined.</param>
    /// <param name="branches">At least one branch.</param>
    public Branches(Join join, params IEnumerable<Layer> branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        Layers = [.. branches];
        if (Layers.IsEmpty || Layers.Any(b => b is null))
            throw new ArgumentException("Branches needs at least one branch and no null branch.", nameof(branches));
        Join = join;
    }

    /// <summary>How outputs are joined.</summary>
    public Join Join { get; }

    /// <summary>The branches.</summary>
    public ImmutableArray<Layer> Layers { get; }

    /// <inheritdoc/>
    public override LayerParts Parts => new() { Children = [.. Layers.Select((b, i) => (Name(i), b))] };

    /// <summary>Lists the branches.</summary>
    public override string ToString() =>
        $"Branches({Join},\n{string.Concat(Layers.Select((b, i) => $"  ({i}): {b.ToString()!.Replace("\n", "\n  ", StringComparison.Ordinal)}\n"))})";

    /// <inheritdoc/>
    protected override Layer Rebuild(LayerParts parts) => new Branches(Join, parts.Children.Select(c => c.Layer));

    /// <inheritdoc/>
    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var steps = Layers.Select((b, i) => b.Forward(x, context.Child(Name(i)))).ToList();
        var outputs = steps.Select(s => s.Output).ToList();
        Tensor y;
        try
        {
            y = Join == Join.Concat ? Tensor.Concat(outputs) : outputs.Skip(1).Aggregate(outputs[0], (sum, o) => o.Shape == sum.Shape ? sum + o : throw new ArgumentException($"branch outputs {sum.Shape} and {o.Shape} differ"));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Describe(context.Path)} cannot {Join.ToString().ToLowerInvariant()} its branches: {e.Message}", nameof(x), e);
        }
        var next = WithChildren([.. steps.Select(s => s.Next)]);
        return new Traced(y, new BranchesTrace([.. steps.Select(s => s.Trace)], [.. outputs.Select(o => o.Rank == 0 ? 1 : o.Shape.Last)]), next);
    }

    /// <inheritdoc/>
    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var saved = Expect<BranchesTrace>(trace);
        Tensor? dx = null;
        var gradients = new Layer[Layers.Length];
        var offset = 0;
        for (var i = 0; i < Layers.Length; i++)
        {
            var part = Join == Join.Concat ? dy.Narrow(-1, offset, saved.Widths[i]) : dy;
            offset += saved.Widths[i];
            (var branchDx, gradients[i]) = Layers[i].Backward(saved.Children[i], part, inputGradient);
            dx = branchDx is null ? dx : dx is null ? branchDx : dx + branchDx;
        }
        return (dx, WithChildren(gradients));
    }

    private static string Name(int index) => index.ToString(CultureInfo.InvariantCulture);
}
