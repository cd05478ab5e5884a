using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A layer that writes only its forward pass: in terms of its children, its parameters and operations on
/// <see cref="Variable"/>s, each recorded on the pass's <see cref="Tape"/>. The backward pass is derived from the tape,
/// and the gradient is a layer of this type, as every layer's is. Declared as a <c>partial record</c>, its
/// <see cref="Layer.Parts"/> and <c>Rebuild</c> are generated from its <c>Tensor</c> and <c>Layer</c> properties
/// (docs/layers.md); a record that is not partial writes them itself.
/// </summary>
/// <example>
/// <code>
/// public sealed partial record GatedLinearUnit(Linear Value, Linear Gate) : DerivedLayer
/// {
///     protected override Variable Forward(Variable x, Tape tape) => tape.Call(Value, x) * tape.Call(Gate, x).Sigmoid();
/// }
/// </code>
/// </example>
public abstract record DerivedLayer : Layer
{
    /// <summary>
    /// The forward pass on one input: run children with <see cref="Tape.Call(Layer, Variable)"/>, use parameters through
    /// <see cref="Tape.Parameter(Tensor)"/>, and combine them with <see cref="Variable"/>'s operations. Plain tensors
    /// and numbers in an expression are constants (buffers, masks).
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="tape">This pass's record: children, parameters, the mode and the layer's random draws.</param>
    protected abstract Variable Forward(Variable x, Tape tape);

    /// <inheritdoc/>
    protected sealed override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        var tape = new Tape(this, context, x);
        Variable? output;
        try
        {
            output = Forward(tape.Input, tape);
        }
        catch (ArgumentException e) when (!Tape.IsNamed(e) && !e.Message.StartsWith(Describe(context.Path), StringComparison.Ordinal))
        {
            // An operation's error (shapes that do not broadcast, an axis out of range) says what but not where.
            throw Tape.Named(new ArgumentException($"{Describe(context.Path)} forward: {e.Message}", e));
        }
        if (output is null)
            throw new InvalidOperationException($"{Describe(context.Path)} forward returned null.");
        tape.Finish(output);
        return new Traced(output.Value, tape, tape.Next());
    }

    /// <inheritdoc/>
    protected sealed override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient)
    {
        var tape = Expect<Tape>(trace);
        if (!ReferenceEquals(tape.Layer, this))
            throw new ArgumentException($"{Describe(trace.Path)} backward was given the tape of another layer's forward.", nameof(trace));
        ExpectGradient(tape.Output, dy, trace);
        return tape.Backward(dy, inputGradient);
    }

    /// <summary>This layer rebuilt from <paramref name="parts"/>, checked to be of this type.</summary>
    internal Layer From(LayerParts parts) => RebuildChecked(parts);
}
