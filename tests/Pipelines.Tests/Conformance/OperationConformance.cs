using System.Text.Json;
using Pipelines.Layers;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Conformance;

/// <summary>
/// Every case of <c>operations.safetensors</c>, written by PyTorch: each <see cref="Variable"/> operation on the case's
/// input x (and second operand y, a parameter here so that its gradient is checked too) gives PyTorch's output and
/// PyTorch's gradients of ⟨dy, output⟩ for x and y, in float64 and float32.
/// </summary>
public sealed partial class OperationConformance
{
    private const string FileName = "operations.safetensors";

    public static TheoryData<string> Cases() => GoldenFiles.CaseNames(FileName);

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_operation_and_its_gradients_match_PyTorch(string name)
    {
        var file = GoldenFiles.Load(FileName);
        var d = GoldenFiles.Cases(FileName)[name];
        var hasY = file.Tensors.ContainsKey($"{name}.y");
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var body = OperationOf(d, file, name, dtype);
            var layer = new Operation(hasY ? file.Tensor($"{name}.y").To(dtype) : null, body);
            var traced = layer.Forward(file.Tensor($"{name}.x").To(dtype), ForwardContext.Evaluation);
            var (dx, gradient) = layer.Backward(traced.Trace, file.Tensor($"{name}.dy").To(dtype));
            var width = file.Tensor($"{name}.x").Count;
            Tolerance.Close(file.Tensor($"{name}.out"), traced.Output, width, $"{name}.out");
            Tolerance.Close(file.Tensor($"{name}.grad_x"), dx, width, $"{name}.grad_x");
            if (hasY)
                Tolerance.Close(file.Tensor($"{name}.grad_y"), ((Operation)gradient).Y!, width, $"{name}.grad_y");
        }
    }

    /// <summary>The operation a case names, as a function of x and y (null when it takes one operand).</summary>
    private static Func<Variable, Variable?, Variable> OperationOf(JsonElement d, Pipelines.IO.SafeTensorsFile file, string name, DType dtype)
    {
        int Int(string key) => d.GetProperty(key).GetInt32();
        double Number(string key) => d.GetProperty(key).GetDouble();
        bool Keep() => d.GetProperty("keep_dim").GetBoolean();
        var zero = Tensor.Zeros(Shape.Scalar, dtype);
        return d.GetProperty("op").GetString() switch
        {
            "add" => (x, y) => x + y!,
            "subtract" => (x, y) => x - y!,
            "multiply" => (x, y) => x * y!,
            "divide_safe" => (x, y) => x / (y!.Abs() + 0.5),
            "scalars" => (x, _) => ((1 - x) * 3) + (2 / ((x * x) + 1)),
            "pow" => (x, _) => x.Pow(Number("exponent")),
            "sqrt" => (x, _) => x.Sqrt(),
            "log" => (x, _) => x.Log(),
            "abs" => (x, _) => x.Abs(),
            "clamp" => (x, _) => x.Clamp(Number("min"), Number("max")),
            "maximum" => (x, y) => Variable.Maximum(x, y!),
            "minimum" => (x, y) => Variable.Minimum(x, y!),
            "where_positive" => (x, y) => Variable.Where(Tensor.Greater(x.Value, zero), x, y!),
            "masked_fill_below" => (x, _) => x.MaskedFill(Tensor.Less(x.Value, Tensor.Full(Shape.Scalar, Number("threshold"), dtype)), Number("value")),
            "sum" => (x, _) => x.Sum(Int("axis"), Keep()),
            "mean" => (x, _) => x.Mean(Int("axis"), Keep()),
            "max" => (x, _) => x.Max(Int("axis"), Keep()),
            "var" => (x, _) => x.Var(Int("axis"), Keep()),
            "logsumexp" => (x, _) => x.LogSumExp(Int("axis"), Keep()),
            "softmax" => (x, _) => x.Softmax(Int("axis")),
            "log_softmax" => (x, _) => x.LogSoftmax(Int("axis")),
            "permute" => (x, _) => x.Permute([.. d.GetProperty("axes").EnumerateArray().Select(e => e.GetInt32())]),
            "transpose" => (x, _) => x.Transpose(Int("first"), Int("second")),
            "narrow" => (x, _) => x.Narrow(Int("axis"), Int("start"), Int("length")),
            "concat_middle" => (x, y) => Variable.Concat([x, y! * 2, x], 1),
            "stack_middle" => (x, y) => Variable.Stack([x, y!], 1),
            "chunk_weighted" => (x, _) => Variable.Concat([.. x.Chunk(Int("chunks"), 1).Select((c, i) => c * (i + 1))], 1),
            "matmul" => (x, y) => Variable.MatMul(x, y!),
            "index_select" => (x, _) => x.IndexSelect(Int("axis"), file.Tensor($"{name}.indices")),
            "gather" => (x, _) => x.Gather(Int("axis"), file.Tensor($"{name}.index")),
            var op => throw new InvalidOperationException($"The golden file names an operation the suite does not know: {op}."),
        };
    }



    /// <summary>One operation of the input and an optional second operand, a parameter so that its gradient comes out.</summary>
    private sealed partial record Operation(Tensor? Y, Func<Variable, Variable?, Variable> Body) : DerivedLayer
    {
        protected override Variable Forward(Variable x, Tape tape) => Body(x, Y is null ? null : tape.Parameter(Y));
    }
}
