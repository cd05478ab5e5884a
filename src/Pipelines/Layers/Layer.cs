using System.Collections.Immutable;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A layer: an immutable record of parameters (and buffers, such as running statistics) with a pure forward pass and
/// its backward rule side by side. The forward returns a <see cref="Trace"/>, an explicit record of what the backward
/// needs; the backward returns the input gradient and the parameter gradient as a layer of the same type, so gradients
/// have the model's structure. Parameters carry PyTorch's <c>state_dict</c> names (<c>weight</c>, <c>0.bias</c>,
/// <c>encoder.2.weight</c>).
/// </summary>
/// <remarks>
/// To write a layer, derive from this record and implement <see cref="ForwardCore"/> and <see cref="BackwardCore"/>;
/// if it has parameters, buffers or child layers, list them in <see cref="Parts"/> and rebuild from new ones in
/// <see cref="Rebuild"/>. A composite runs a child with <c>child.Forward(x, context.Child("name"))</c> and
/// differentiates it with <c>child.Backward(childTrace, dy, inputGradient)</c>: everything else (names, keys, taps,
/// state dicts, the parameter algebra, optimizers, summaries) follows.
/// </remarks>
public abstract partial record Layer
{
    /// <summary>Applies the layer in evaluation mode.</summary>
    /// <param name="x">The input.</param>
    public Tensor Forward(Tensor x) => Forward(x, ForwardContext.Evaluation).Output;

    /// <summary>
    /// The forward pass in the given context, with the trace its backward needs and the layer after the pass; the
    /// context's tap (if any) sees the result, and the trace is stamped with the context's path.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="context">Mode, key, path and tap.</param>
    public Traced Forward(Tensor x, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        var traced = ForwardCore(x, context)
            ?? throw new InvalidOperationException($"{Describe(context.Path)} forward returned null.");
        if (traced.Next is null || traced.Next.GetType() != GetType())
            throw new InvalidOperationException($"{Describe(context.Path)} forward returned a Next of type {traced.Next?.GetType().Name ?? "null"}; Next is the layer after the pass and must be a {GetType().Name}.");
        context.Tap?.Invoke(context.Path, this, x, traced.Output);
        return traced.Trace.Path == context.Path ? traced : traced with { Trace = traced.Trace with { Path = context.Path } };
    }

    /// <summary>The backward pass: from the trace of a forward pass and the gradient of its output, the input gradient and the parameter gradient.</summary>
    /// <param name="trace">The trace this layer's forward returned.</param>
    /// <param name="dy">The gradient of the output, shaped like it.</param>
    public (Tensor Dx, Layer Gradient) Backward(Trace trace, Tensor dy)
    {
        var (dx, gradient) = Backward(trace, dy, inputGradient: true);
        return (dx!, gradient);
    }

    /// <summary>
    /// The backward pass, computing the input gradient only when <paramref name="inputGradient"/> is set (the first layer
    /// of a model needs none: its input is data). The gradient is a layer of this type.
    /// </summary>
    /// <param name="trace">The trace this layer's forward returned.</param>
    /// <param name="dy">The gradient of the output, shaped like it.</param>
    /// <param name="inputGradient">Whether to compute dx; when false the result's Dx is null.</param>
    public (Tensor? Dx, Layer Gradient) Backward(Trace trace, Tensor dy, bool inputGradient)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(dy);
        var (dx, gradient) = BackwardCore(trace, dy, inputGradient);
        if (gradient is null || gradient.GetType() != GetType())
            throw new InvalidOperationException($"{Describe(trace.Path)} backward returned a gradient of type {gradient?.GetType().Name ?? "null"}; a gradient is a layer of the same type, {GetType().Name}.");
        if (inputGradient && dx is null)
            throw new InvalidOperationException($"{Describe(trace.Path)} backward was asked for the input gradient and returned none.");
        return (inputGradient ? dx : null, gradient);
    }

    /// <summary>
    /// Sequential composition: <c>a &gt;&gt; b</c> applies <c>a</c> then <c>b</c>. Index-named chains flatten, so
    /// <c>a &gt;&gt; b &gt;&gt; c</c> is <c>Chain(a, b, c)</c> with layers named 0, 1, 2 whichever way it is grouped.
    /// </summary>
    /// <param name="first">Applied first.</param>
    /// <param name="second">Applied to the first's output.</param>
    public static Chain operator >>(Layer first, Layer second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return new Chain([.. Flatten(first), .. Flatten(second)]);
    }

    /// <summary>The forward pass proper: the output, the trace for the backward, and the layer after the pass (usually <c>this</c>).</summary>
    /// <param name="x">The input.</param>
    /// <param name="context">Mode, key, this layer's path and the tap; run children with <see cref="ForwardContext.Child"/>.</param>
    protected abstract Traced ForwardCore(Tensor x, ForwardContext context);

    /// <summary>The backward pass proper: dx (may be null when <paramref name="inputGradient"/> is false) and the gradient as a layer of this type.</summary>
    /// <param name="trace">The trace <see cref="ForwardCore"/> returned, stamped with this layer's path.</param>
    /// <param name="dy">The gradient of the output.</param>
    /// <param name="inputGradient">Whether dx is wanted.</param>
    protected abstract (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient);

    /// <summary>How errors name this layer at <paramref name="path"/>: <c>Linear '2'</c>.</summary>
    /// <param name="path">The layer's path.</param>
    protected string Describe(string path) => LayerPath.Describe(GetType().Name, path);

    /// <summary>The trace a backward was given, as the type this layer's forward records, or an error naming the layer.</summary>
    /// <typeparam name="TTrace">The trace type the forward returns.</typeparam>
    /// <param name="trace">The trace given to the backward.</param>
    protected TTrace Expect<TTrace>(Trace trace)
        where TTrace : Trace => trace as TTrace
        ?? throw new ArgumentException($"{Describe(trace.Path)} backward needs the {typeof(TTrace).Name} its own forward returned but was given {trace.GetType().Name}.", nameof(trace));

    /// <summary>dy must be shaped and typed like the forward's output, or the error names the layer and both shapes.</summary>
    /// <param name="output">The forward output (or a tensor of its shape).</param>
    /// <param name="dy">The gradient given to the backward.</param>
    /// <param name="trace">The trace given to the backward, for the layer's path.</param>
    protected void ExpectGradient(Tensor output, Tensor dy, Trace trace)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(dy);
        if (dy.Shape != output.Shape || dy.DType != output.DType)
            throw new ArgumentException($"{Describe(trace.Path)} backward expects dy {output.Shape} ({output.DType.Name()}) but got {dy.Shape} ({dy.DType.Name()}).", nameof(dy));
    }

    private static ImmutableArray<Layer> Flatten(Layer layer) => layer is Chain { IsIndexed: true } chain ? chain.Layers : [layer];
}
