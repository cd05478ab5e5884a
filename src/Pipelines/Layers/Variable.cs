using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// A tensor inside a <see cref="DerivedLayer"/>'s forward pass: its <see cref="Value"/>, computed at once by the
/// library's kernels, and its place on the pass's <see cref="Tape"/>, from which the backward is derived. Operations
/// follow PyTorch's (broadcasting, <c>keepDim</c>, negative axes). A <see cref="Tensor"/> converts to a constant
/// variable, so buffers, masks and numbers mix freely with variables; a constant gets no gradient.
/// </summary>
public sealed partial class Variable
{
    internal Variable(Tensor value, Tape? tape, int id)
    {
        Value = value;
        Tape = tape;
        Id = id;
    }

    /// <summary>The value, as computed in the forward pass.</summary>
    public Tensor Value { get; }

    /// <summary>The value's shape.</summary>
    public Shape Shape => Value.Shape;

    /// <summary>The value's element type.</summary>
    public DType DType => Value.DType;

    /// <summary>The value's number of axes.</summary>
    public int Rank => Value.Rank;

    /// <summary>The tape this variable is recorded on; null for a constant.</summary>
    internal Tape? Tape { get; }

    /// <summary>Its step on the tape; -1 for a constant.</summary>
    internal int Id { get; }

    /// <summary>A constant: a tensor that takes part in the pass but gets no gradient.</summary>
    /// <param name="constant">The tensor.</param>
    public static implicit operator Variable(Tensor constant) => new(constant ?? throw new ArgumentNullException(nameof(constant)), null, -1);

    /// <summary>Element-wise sum with broadcasting.</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other operand.</param>
    public static Variable operator +(Variable a, Variable b) =>
        Binary(a, b, Checked(a).Value + Checked(b).Value, g => g.SumToSize(a.Shape), g => g.SumToSize(b.Shape));

    /// <summary>Element-wise difference with broadcasting.</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other operand.</param>
    public static Variable operator -(Variable a, Variable b) =>
        Binary(a, b, Checked(a).Value - Checked(b).Value, g => g.SumToSize(a.Shape), g => (-g).SumToSize(b.Shape));

    /// <summary>Element-wise product with broadcasting.</summary>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other operand.</param>
    public static Variable operator *(Variable a, Variable b) =>
        Binary(a, b, Checked(a).Value * Checked(b).Value, g => (g * b.Value).SumToSize(a.Shape), g => (g * a.Value).SumToSize(b.Shape));

    /// <summary>Element-wise quotient with broadcasting.</summary>
    /// <param name="a">The dividend.</param>
    /// <param name="b">The divisor.</param>
    public static Variable operator /(Variable a, Variable b)
    {
        var y = Checked(a).Value / Checked(b).Value;
        return Binary(a, b, y, g => (g / b.Value).SumToSize(a.Shape), g => (-(g * y) / b.Value).SumToSize(b.Shape));
    }

    /// <summary>Negation.</summary>
    /// <param name="a">The operand.</param>
    public static Variable operator -(Variable a) => Unary(a, -Checked(a).Value, g => -g);

    /// <summary>Adds a number to every element.</summary>
    /// <param name="a">The variable.</param>
    /// <param name="s">The number.</param>
    public static Variable operator +(Variable a, double s) => Unary(a, Checked(a).Value + s, g => g);

    /// <summary>Adds a number to every element.</summary>
    /// <param name="s">The number.</param>
    /// <param name="a">The variable.</param>
    public static Variable operator +(double s, Variable a) => a + s;

    /// <summary>Subtracts a number from every element.</summary>
    /// <param name="a">The variable.</param>
    /// <param name="s">The number.</param>
    public static Variable operator -(Variable a, double s) => Unary(a, Checked(a).Value - s, g => g);

    /// <summary>A number minus every element (<c>1 - p</c>).</summary>
    /// <param name="s">The number.</param>
    /// <param name="a">The variable.</param>
    public static Variable operator -(double s, Variable a) => Unary(a, s - Checked(a).Value, g => -g);

    /// <summary>Multiplies every element by a number.</summary>
    /// <param name="a">The variable.</param>
    /// <param name="s">The number.</param>
    public static Variable operator *(Variable a, double s) => Unary(a, Checked(a).Value * s, g => g * s);

    /// <summary>Multiplies every element by a number.</summary>
    /// <param name="s">The number.</param>
    /// <param name="a">The variable.</param>
    public static Variable operator *(double s, Variable a) => a * s;

    /// <summary>Divides every element by a number.</summary>
    /// <param name="a">The variable.</param>
    /// <param name="s">The number.</param>
    public static Variable operator /(Variable a, double s) => Unary(a, Checked(a).Value / s, g => g / s);

    /// <summary>A number divided by every element (<c>2 / t</c>).</summary>
    /// <param name="s">The number.</param>
    /// <param name="a">The variable.</param>
    public static Variable operator /(double s, Variable a)
    {
        var y = s / Checked(a).Value;
        return Unary(a, y, g => -(g * y) / a.Value);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Variable {Shape} ({DType.Name()}){(Tape is null ? ", constant" : "")}";

    /// <summary>A step of one input with its gradient rule.</summary>
    internal static Variable Unary(Variable a, Tensor value, Func<Tensor, Tensor> rule) => Make(value, [a], [rule]);

    /// <summary>A step of two inputs with their gradient rules.</summary>
    internal static Variable Binary(Variable a, Variable b, Tensor value, Func<Tensor, Tensor> ruleA, Func<Tensor, Tensor> ruleB) => Make(value, [a, b], [ruleA, ruleB]);

    /// <summary>
    /// A step of <paramref name="inputs"/> holding <paramref name="value"/>, recorded on their tape; a constant when none
    /// is on a tape. Rule i maps the output's gradient to input i's (null for an input that gets none).
    /// </summary>
    internal static Variable Make(Tensor value, IReadOnlyList<Variable> inputs, Func<Tensor, Tensor>?[] rules)
    {
        Tape? tape = null;
        foreach (var input in inputs)
        {
            if (input.Tape is null)
                continue;
            tape ??= input.Tape;
            tape.Own(input, "an operand");
        }
        return tape is null ? new Variable(value, null, -1) : tape.Operation(value, inputs, rules);
    }

    private static Variable Checked(Variable v) => v ?? throw new ArgumentNullException(nameof(v));
}
