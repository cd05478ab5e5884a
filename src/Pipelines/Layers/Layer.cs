using System.Collections.Immutable;
using Pipelines.Autodiff;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A layer: an immutable record of parameters (and buffers, such as running statistics) with a pure forward pass
/// and its backward rule side by side. The forward returns a <see cref="Trace"/>, an explicit record of what the
/// backward needs; the backward returns the input gradient and the parameter gradient as a layer of the same
/// type, so gradients have the model's structure. Parameters carry PyTorch's <c>state_dict</c> names
/// (<c>weight</c>, <c>0.bias</c>, <c>encoder.2.weight</c>).
/// </summary>
public abstract partial record Layer
{
    /// <summary>Applies the layer in evaluation mode.</summary>
    public Tensor Forward(Tensor x) => Forward(x, ForwardContext.Evaluation).Output;

    /// <summary>The forward pass in the given mode, with the trace its backward needs and the layer after the pass.</summary>
    public Traced Forward(Tensor x, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        return Run(x, context, LayerPath.Root);
    }

    /// <summary>The backward pass: from the trace of a forward pass and the gradient of its output, the input gradient and the parameter gradient.</summary>
    public (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(dy);
        return Backward(trace, dy, LayerPath.Root);
    }

    /// <summary>Every trainable parameter with its <c>state_dict</c> name, in PyTorch's order.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters() => NamedParameters(LayerPath.Root);

    /// <summary>Every buffer (state that is saved but not trained, such as running statistics) with its name.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers() => NamedBuffers(LayerPath.Root);

    /// <summary>Every trainable parameter tensor, in PyTorch's order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>The total number of parameter elements, like <c>sum(p.numel() for p in m.parameters())</c>.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Count);

    /// <summary>
    /// The same layer with every parameter replaced by <paramref name="map"/>(name, current value).
    /// The map must keep each parameter's shape and dtype; the result is checked like a new layer.
    /// </summary>
    public Layer MapParameters(Func<string, Tensor, Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return MapParameters(LayerPath.Root, map);
    }

    /// <summary>The same layer with every buffer replaced by <paramref name="map"/>(name, current value).</summary>
    public Layer MapBuffers(Func<string, Tensor, Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return MapBuffers(LayerPath.Root, map);
    }

    /// <summary>
    /// Sequential composition: <c>a &gt;&gt; b</c> applies <c>a</c> then <c>b</c>. Index-named chains flatten, so
    /// <c>a &gt;&gt; b &gt;&gt; c</c> is <c>Chain(a, b, c)</c> with layers named 0, 1, 2 whichever way it is grouped.
    /// </summary>
    public static Chain operator >>(Layer first, Layer second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return new Chain([.. Flatten(first), .. Flatten(second)]);
    }

    /// <summary>The forward pass of a child or the root, as composites call it: the layer's own forward, then the context's tap.</summary>
    internal Traced Run(Tensor x, ForwardContext context, string path)
    {
        var traced = Forward(x, context, path);
        context.Tap?.Invoke(path, this, x, traced.Output);
        return traced;
    }

    /// <summary>The forward pass, naming the layer by <paramref name="path"/> in any error.</summary>
    protected internal abstract Traced Forward(Tensor x, ForwardContext context, string path);

    /// <summary>The backward pass, naming the layer by <paramref name="path"/> in any error.</summary>
    protected internal abstract (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy, string path);

    /// <summary>The parameters named under <paramref name="prefix"/>.</summary>
    protected internal abstract IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix);

    /// <summary>The layer rebuilt with parameters mapped by their names under <paramref name="prefix"/>.</summary>
    protected internal abstract Layer MapParameters(string prefix, Func<string, Tensor, Tensor> map);

    /// <summary>The buffers named under <paramref name="prefix"/>; none unless the layer keeps state.</summary>
    protected internal virtual IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix) => [];

    /// <summary>The layer rebuilt with buffers mapped by their names under <paramref name="prefix"/>.</summary>
    protected internal virtual Layer MapBuffers(string prefix, Func<string, Tensor, Tensor> map) => this;

    /// <summary>The trace a layer's backward was given, as the type its forward records, or an error naming the layer.</summary>
    protected static TTrace Expect<TTrace>(Trace trace, string kind, string path)
        where TTrace : Trace => trace as TTrace
        ?? throw new ArgumentException($"{LayerPath.Describe(kind, path)} backward needs the {typeof(TTrace).Name} its own forward returned but was given {trace.GetType().Name}.", nameof(trace));

    /// <summary>dy must be shaped like the forward's output, or the error names the layer and both shapes.</summary>
    protected static void ExpectGradient(Tensor output, Tensor dy, string kind, string path)
    {
        if (dy.Shape != output.Shape || dy.DType != output.DType)
            throw new ArgumentException($"{LayerPath.Describe(kind, path)} backward expects dy {output.Shape} ({output.DType.Name()}) but got {dy.Shape} ({dy.DType.Name()}).", nameof(dy));
    }

    private static ImmutableArray<Layer> Flatten(Layer layer) => layer is Chain { IsIndexed: true } chain ? chain.Layers : [layer];
}
