using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// The record of one forward pass of a <see cref="DerivedLayer"/>: every operation on its <see cref="Variable"/>s, the
/// children it ran with their traces, and the parameters it read, in the order they happened. It is the pass's
/// <see cref="Trace"/>, handed back to the layer's backward as any trace is, and the backward walks it in reverse. It is
/// built by the pass alone (no global tape) and never changes once the forward has returned.
/// </summary>
/// <remarks>
/// A child whose forward takes more than one input (attention's query, key, value and masks) runs inside the same
/// record through <see cref="Call(Layer, Func{Tape, Variable})"/>: the body gets a tape scoped to the child, which reads
/// the child's parameters and runs its children, and the child's gradient is assembled from what the body recorded.
/// </remarks>
public sealed record Tape : Trace
{
    private const string NamedKey = "Pipelines.Layers.Named";

    private readonly Tape _root;
    private readonly List<Step> _steps;
    private readonly ForwardContext _context;
    private readonly Layer _layer;
    private readonly LayerParts _parts;
    private readonly Layer?[] _next;
    private readonly string _prefix;
    private int _output = -1;
    private ulong _draws;
    private Dictionary<object, string>? _parameterNames;

    internal Tape(DerivedLayer layer, ForwardContext context, Tensor input)
    {
        (_root, _steps, _context, _layer, _prefix) = (this, [], context, layer, LayerPath.Root);
        _parts = layer.Parts;
        _next = new Layer?[_parts.Children.Length];
        Path = context.Path;
        Input = Record(input, new Step(StepKind.Input, fromInput: true, fromParameters: false));
    }

    /// <summary>A tape scoped to <paramref name="layer"/>, a child of <paramref name="parent"/>'s layer named <paramref name="name"/>, recording into the same steps.</summary>
    private Tape(Tape parent, Layer layer, string name)
    {
        (_root, _steps, _context, _layer, _prefix) = (parent._root, parent._steps, parent._context.Child(name), layer, LayerPath.Join(parent._prefix, name));
        _parts = layer.Parts;
        _next = new Layer?[_parts.Children.Length];
        Path = _context.Path;
        Input = null!;
    }

    /// <summary>Whether the pass trains (dropout draws) or evaluates.</summary>
    public Mode Mode => _context.Mode;

    /// <summary>The layer whose forward this tape records.</summary>
    internal DerivedLayer Layer => (DerivedLayer)_root._layer;

    /// <summary>The forward's input.</summary>
    internal Variable Input { get; }

    /// <summary>The forward's output, once the forward has returned.</summary>
    internal Tensor Output => _steps[_output].Value;

    /// <summary>
    /// Runs <paramref name="child"/> (a child this layer lists in <see cref="Layer.Parts"/>) on <paramref name="x"/>,
    /// under the child's name: its path, key, taps and gradient follow from that name. A child run twice sees the state
    /// its first run left (batch normalisation's running statistics), and its gradient is the sum of both runs'.
    /// </summary>
    /// <param name="child">The child, as the layer's property holds it.</param>
    /// <param name="x">Its input.</param>
    public Variable Call(Layer child, Variable x) => Run(IndexOf(child), x);

    /// <summary>Runs the child named <paramref name="name"/> on <paramref name="x"/>, as <see cref="Call(Layer, Variable)"/> does.</summary>
    /// <param name="name">The child's name in <see cref="Layer.Parts"/>.</param>
    /// <param name="x">Its input.</param>
    public Variable Call(string name, Variable x)
    {
        for (var i = 0; i < _parts.Children.Length; i++)
        {
            if (_parts.Children[i].Name == name)
                return Run(i, x);
        }
        throw new ArgumentException($"{Describe()} has no child '{name}'; Parts lists: {Names(_parts.Children.Select(c => c.Name))}.", nameof(name));
    }

    /// <summary>
    /// Runs a forward of <paramref name="child"/> that takes more than one input, recorded on this tape: the body gets a
    /// tape scoped to the child (its parameters, its children, its path and key), and the child's gradient is assembled
    /// from what the body reads. This is how a layer offers a forward of several inputs to composites, as
    /// <see cref="MultiheadAttention"/>'s query, key, value and masks. The child's own children must not keep running
    /// state (a batch normalisation inside): that state has no layer after the pass to go to here.
    /// </summary>
    /// <param name="child">The child, as the layer's property holds it.</param>
    /// <param name="body">The child's forward on the scoped tape; its variables may be any of this pass's.</param>
    public Variable Call(Layer child, Func<Tape, Variable> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var index = IndexOf(child);
        var scope = new Tape(this, child, _parts.Children[index].Name);
        var output = body(scope) ?? throw new InvalidOperationException($"{scope.Describe()} forward returned null.");
        Own(output, "the output of a child's forward");
        for (var i = 0; i < scope._next.Length; i++)
        {
            if (scope._next[i] is { } next && !ReferenceEquals(next, scope._parts.Children[i].Layer))
                throw new NotSupportedException($"{scope.Describe()} ran its child '{scope._parts.Children[i].Name}', which keeps running state, inside a forward of several inputs; that state cannot be kept there.");
        }
        return output;
    }

    /// <summary>
    /// <paramref name="parameter"/> (a tensor this layer lists among its parameters in <see cref="Layer.Parts"/>) as a
    /// variable whose gradient becomes the parameter's gradient. A buffer or any other tensor is used as it is, a constant.
    /// </summary>
    /// <param name="parameter">The parameter, as the layer's property holds it.</param>
    public Variable Parameter(Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        foreach (var (name, tensor) in _parts.Parameters)
        {
            if (ReferenceEquals(tensor, parameter))
                return Record(parameter, new Step(StepKind.Parameter, fromInput: false, fromParameters: true) { Name = LayerPath.Join(_prefix, name) });
        }
        var buffer = _parts.Buffers.FirstOrDefault(b => ReferenceEquals(b.Tensor, parameter)).Name;
        throw new ArgumentException(buffer is null
            ? $"{Describe()} asked for a {parameter.Shape} tensor that is not one of its parameters; Parts lists: {Names(_parts.Parameters.Select(p => p.Name))}.{Hint()}"
            : $"{Describe()} asked for its buffer '{buffer}' as a parameter; a buffer is not trained: use the tensor itself, a constant.", nameof(parameter));
    }

    /// <summary>
    /// Dropout, as <see cref="Dropout"/> does it: in training, each element is zeroed with probability
    /// <paramref name="p"/> and the rest scaled by 1/(1−p); in evaluation, <paramref name="x"/> itself. Each call draws
    /// from the layer's key folded with its place among the pass's draws, so the same context gives the same masks.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="p">The probability of zeroing an element, in [0, 1).</param>
    public Variable Dropout(Variable x, double p)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(p >= 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"{Describe()} dropout probability must be in [0, 1) but got {p}.");
        var key = NextKey();
        if (Mode == Mode.Eval || p == 0)
            return x;
        var mask = DropoutMask.Create(key, x.Shape, p, x.DType);
        return Variable.Unary(x, x.Value * mask, g => g * mask);
    }

    /// <summary>
    /// A key for one draw of the layer's own (a VAE's noise): the layer's key (<see cref="ForwardContext.LayerKey"/>)
    /// folded with the number of draws this pass has made, so each call gives other numbers and the same context the same.
    /// </summary>
    public Key NextKey() => _context.LayerKey.Fold(_draws++);

    /// <summary>A new step on this tape holding <paramref name="value"/>; its inputs must be this pass's variables or constants.</summary>
    internal Variable Operation(Tensor value, IReadOnlyList<Variable> inputs, Func<Tensor, Tensor>?[] rules)
    {
        var ids = new int[inputs.Count];
        var (fromInput, fromParameters) = (false, false);
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = inputs[i].Tape is null ? -1 : inputs[i].Id;
            if (ids[i] < 0)
            {
                RefuseParameterAsConstant(inputs[i].Value);
                continue;
            }
            fromInput |= _steps[ids[i]].FromInput;
            fromParameters |= _steps[ids[i]].FromParameters;
        }
        return Record(value, new Step(StepKind.Operation, fromInput, fromParameters) { Inputs = ids, Rules = rules });
    }

    /// <summary>Closes the record at the forward's output.</summary>
    internal void Finish(Variable output)
    {
        if (output.Tape is null)
            output = Record(output.Value, new Step(StepKind.Operation, fromInput: false, fromParameters: false) { Inputs = [], Rules = [] });
        else
            Own(output, "its output");
        _output = output.Id;
    }

    /// <summary>The layer after the pass: each child as its last run left it.</summary>
    internal Layer Next()
    {
        var changed = false;
        for (var i = 0; i < _next.Length; i++)
            changed |= _next[i] is { } next && !ReferenceEquals(next, _parts.Children[i].Layer);
        return changed ? Layer.From(_parts with { Children = [.. _parts.Children.Select((c, i) => (c.Name, _next[i] ?? c.Layer))] }) : Layer;
    }

    /// <summary>The derived backward pass: the tape walked from the output to the input, each step's rule applied once.</summary>
    internal (Tensor? Dx, Layer Gradient) Backward(Tensor dy, bool inputGradient)
    {
        var gradients = new Tensor?[_output + 1];
        gradients[_output] = dy;
        // Parameter gradients by name relative to this layer (inner.weight for a scoped child's), and the gradients of
        // children run directly, by child.
        var parameters = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var children = new Layer?[_parts.Children.Length];
        Tensor? dx = null;
        bool Wanted(int id) => id >= 0 && (_steps[id].FromParameters || (inputGradient && _steps[id].FromInput));
        void Add(int id, Tensor g) => gradients[id] = gradients[id] is { } sum ? sum + g : g;
        void AddParameter(string name, Tensor g) => parameters[name] = parameters.TryGetValue(name, out var sum) ? sum + g : g;
        for (var id = _output; id >= 0; id--)
        {
            if (gradients[id] is not { } g || !Wanted(id))
                continue;
            gradients[id] = null;
            var step = _steps[id];
            switch (step.Kind)
            {
                case StepKind.Input:
                    dx = g;
                    break;
                case StepKind.Parameter:
                    AddParameter(step.Name!, g);
                    break;
                case StepKind.Child:
                    var input = step.Inputs[0];
                    var (childDx, childGradient) = step.Ran!.Backward(step.ChildTrace!, g, Wanted(input));
                    if (step.Child >= 0)
                        children[step.Child] = children[step.Child] is { } total ? total + childGradient : childGradient;
                    else
                        foreach (var (name, tensor) in childGradient.NamedParameters())
                            AddParameter(LayerPath.Join(step.Name!, name), tensor);
                    if (Wanted(input))
                        Add(input, childDx!);
                    break;
                default:
                    for (var i = 0; i < step.Inputs.Length; i++)
                    {
                        if (Wanted(step.Inputs[i]) && step.Rules[i] is { } rule)
                            Add(step.Inputs[i], rule(g));
                    }
                    break;
            }
        }
        if (inputGradient)
            dx ??= Tensor.Zeros(_steps[0].Value.Shape, _steps[0].Value.DType);
        if (_parts.IsEmpty)
            return (dx, Layer);
        Tensor Find(string name, Tensor like) => parameters.TryGetValue(name, out var g) ? g : Tensor.Zeros(like.Shape, like.DType);
        Layer ChildGradient(int i)
        {
            var (name, child) = _parts.Children[i];
            var prefix = name + ".";
            var scoped = parameters.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal))
                ? child.MapParameters((n, p) => Find(prefix + n, p))
                : null;
            return (children[i], scoped) switch
            {
                ({ } direct, { } inner) => direct + inner,
                ({ } direct, null) => direct,
                (null, { } inner) => inner,
                _ => child.ZerosLike(),
            };
        }
        var gradient = Layer.From(_parts with
        {
            Parameters = [.. _parts.Parameters.Select(p => (p.Name, Find(p.Name, p.Tensor)))],
            Children = [.. _parts.Children.Select((c, i) => (c.Name, ChildGradient(i)))],
        });
        return (dx, gradient);
    }

    /// <summary>
    /// A parameter used as a plain tensor would silently get no gradient (the layer would train without it), so an
    /// operand that is one of the layer's parameters, its children's included, must come through <see cref="Parameter"/>.
    /// </summary>
    private void RefuseParameterAsConstant(Tensor operand)
    {
        var root = _root;
        if (root._parameterNames is null)
        {
            root._parameterNames = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
            foreach (var (name, tensor) in root.Layer.NamedParameters())
                root._parameterNames.TryAdd(tensor, name);
        }
        if (root._parameterNames.TryGetValue(operand, out var found))
            throw new InvalidOperationException($"{Describe()} used the parameter '{found}' as a plain tensor, so it would get no gradient; read it with tape.Parameter(...) (a child's parameter through the child, tape.Call).");
    }

    /// <summary>Refuses a variable of another pass, naming where it was used.</summary>
    internal void Own(Variable x, string use)
    {
        if (x.Tape is not null && !ReferenceEquals(x.Tape, _root))
            throw new InvalidOperationException($"{Describe()} used a variable of another layer's pass ({x.Tape.Describe()}) as {use}; variables belong to the forward that made them.");
    }

    private int IndexOf(Layer child)
    {
        ArgumentNullException.ThrowIfNull(child);
        var found = -1;
        for (var i = 0; i < _parts.Children.Length; i++)
        {
            if (!ReferenceEquals(_parts.Children[i].Layer, child))
                continue;
            if (found >= 0)
                throw new ArgumentException($"{Describe()} lists this {child.GetType().Name} twice, as '{_parts.Children[found].Name}' and '{_parts.Children[i].Name}'; call it by name with Call(name, x).", nameof(child));
            found = i;
        }
        if (found < 0)
            throw new ArgumentException($"{Describe()} called a {child.GetType().Name} that is not one of its children; Parts lists: {Names(_parts.Children.Select(c => c.Name))}.{Hint()}", nameof(child));
        return found;
    }

    private Variable Run(int child, Variable x)
    {
        ArgumentNullException.ThrowIfNull(x);
        Own(x, "a child's input");
        var (name, listed) = _parts.Children[child];
        var layer = _next[child] ?? listed;
        Traced traced;
        try
        {
            traced = layer.Forward(x.Value, _context.Child(name));
        }
        catch (Exception e) when (Mark(e))
        {
            throw;
        }
        _next[child] = traced.Next;
        var from = x.Tape is null ? (false, false) : (_steps[x.Id].FromInput, _steps[x.Id].FromParameters);
        // A child's own parameters make its output depend on parameters even when its input is a constant.
        return Record(traced.Output, new Step(StepKind.Child, from.Item1, fromParameters: true)
        {
            Inputs = [x.Tape is null ? -1 : x.Id],
            Child = ReferenceEquals(this, _root) ? child : -1,
            Name = LayerPath.Join(_prefix, name),
            Ran = layer,
            ChildTrace = traced.Trace,
        });
    }

    /// <summary>Marks an exception as naming its layer already, so the layers around it pass it on unchanged.</summary>
    internal static Exception Named(Exception e)
    {
        e.Data[NamedKey] = true;
        return e;
    }

    /// <summary>Whether a layer's error has been named (see <see cref="Named"/>).</summary>
    internal static bool IsNamed(Exception e) => e.Data.Contains(NamedKey);

    /// <summary>An exception filter that names a child's error (the child's own message names it) and lets it pass.</summary>
    private static bool Mark(Exception e)
    {
        Named(e);
        return false;
    }

    private string Describe() => LayerPath.Describe(_layer.GetType().Name, Path);

    /// <summary>For a layer that lists no parts at all, the likely cause: a record that is not partial gets no generated Parts.</summary>
    private string Hint() => _parts.IsEmpty
        ? $" A layer lists its parts in Parts: declare {_layer.GetType().Name} as a partial record for them to be generated from its properties, or override Parts."
        : string.Empty;

    private Variable Record(Tensor value, Step step)
    {
        step.Value = value;
        _steps.Add(step);
        return new Variable(value, _root, _steps.Count - 1);
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.DefaultIfEmpty("(none)"));

    private enum StepKind
    {
        Input,
        Parameter,
        Child,
        Operation,
    }

    /// <summary>One recorded step: what made the value, and whether it depends on the input and on parameters (so the backward skips what needs no gradient).</summary>
    private sealed class Step(StepKind kind, bool fromInput, bool fromParameters)
    {
        public StepKind Kind { get; } = kind;

        public bool FromInput { get; } = fromInput;

        public bool FromParameters { get; } = fromParameters;

        public Tensor Value { get; set; } = null!;

        public int[] Inputs { get; init; } = [];

        public Func<Tensor, Tensor>?[] Rules { get; init; } = [];

        /// <summary>A parameter's name, or a child's path, relative to the tape's layer.</summary>
        public string? Name { get; init; }

        /// <summary>The index of a child run directly by the tape's layer; -1 for one run inside a scoped child.</summary>
        public int Child { get; init; } = -1;

        public Layer? Ran { get; init; }

        public Trace? ChildTrace { get; init; }
    }
}
