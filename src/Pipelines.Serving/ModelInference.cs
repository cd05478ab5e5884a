using Pipelines.Dataflow;
using Pipelines.Tensors;

namespace Pipelines.Serving;

/// <summary>
/// One protocol request against one model version, whichever transport carried it: the input checked against what the
/// model takes, its N examples sent to the model's pipeline as N requests (so each answer is bitwise the model's
/// answer to that example alone), and their answers stacked in order. Either every example is answered or the request
/// fails as a whole: nothing is half-served.
/// </summary>
internal static class ModelInference
{
    /// <summary>The outputs [N, ...] for the N examples of the one input in <paramref name="inputs"/>.</summary>
    public static async Task<Tensor> RunAsync(ServedModel model, IReadOnlyList<TensorInput> inputs, IReadOnlyList<string> outputs, TimeSpan? deadline, CancellationToken cancellation)
    {
        var options = model.Options;
        if (inputs.Count != 1)
            throw Bad($"Model '{model.Name}' takes one input, '{options.InputName}', but the request has {inputs.Count}.");
        var input = inputs[0];
        if (input.Name != options.InputName)
            throw Bad($"Model '{model.Name}' has no input '{input.Name}'; its input is '{options.InputName}'.");
        if (outputs.FirstOrDefault(o => o != options.OutputName) is { } unknown)
            throw Bad($"Model '{model.Name}' has no output '{unknown}'; its output is '{options.OutputName}'.");
        var expected = Datatypes.Name(options.InputType);
        if (input.Datatype != expected)
            throw Bad($"Input '{input.Name}' of model '{model.Name}' is {expected}, but the request gives {input.Datatype}.");
        var example = options.InputShape;
        var described = $"[-1, {string.Join(", ", example.Dims.ToArray())}]";
        if (input.Shape.Length != example.Rank + 1 || !input.Shape.AsSpan(1).SequenceEqual(example.Dims.ToArray().Select(d => (long)d).ToArray()) || input.Shape[0] < 0)
            throw Bad($"Input '{input.Name}' of model '{model.Name}' has shape {described} (a batch of examples), but the request gives [{string.Join(", ", input.Shape)}].");
        if (input.Shape[0] > options.MaxExamplesPerRequest)
            throw Bad($"A request to model '{model.Name}' holds at most {options.MaxExamplesPerRequest} examples (ServedModelOptions.MaxExamplesPerRequest), but this one holds {input.Shape[0]}.");
        var count = (int)input.Shape[0];
        var perExample = example.ElementCount;
        if (input.Elements.Length != (long)count * perExample)
            throw Bad($"Input '{input.Name}' has shape [{string.Join(", ", input.Shape)}], which holds {(long)count * perExample} elements, but the request gives {input.Elements.Length}.");
        if (count == 0)
            return Tensor.Zeros(new Shape([0, .. model.OutputShape.Dims]), model.OutputType);
        var answers = new Task<Tensor>[count];
        for (var i = 0; i < count; i++)
        {
            var x = Example(input.Elements, i * perExample, perExample, example);
            answers[i] = deadline is { } limit ? model.Pipeline.InferAsync(x, limit, cancellation) : model.Pipeline.InferAsync(x, cancellation);
        }
        try
        {
            await Task.WhenAll(answers).ConfigureAwait(false);
        }
        catch (Exception) when (answers.Select(a => a.Exception?.InnerException).FirstOrDefault(e => e is not null) is { } failure)
        {
            throw failure switch
            {
                InferenceRejectedException => new InferenceFaultException(InferenceFault.Unavailable, failure.Message, failure),
                TimeoutException => new InferenceFaultException(InferenceFault.Timeout, $"The request to model '{model.Name}' passed its deadline of {deadline?.TotalMilliseconds:0.###} ms before its answer was ready.", failure),
                ArgumentException => Bad(failure.Message, failure),
                _ => failure,
            };
        }
        return count == 1 ? answers[0].Result.Reshape(new Shape([1, .. model.OutputShape.Dims])) : Tensor.Stack([.. answers.Select(a => a.Result)]);
    }

    private static Tensor Example(Array elements, int start, int length, Shape shape) => elements switch
    {
        float[] f => Tensor.FromSpan(f.AsSpan(start, length), shape),
        double[] d => Tensor.FromSpan(d.AsSpan(start, length), shape),
        long[] l => Tensor.FromSpan(l.AsSpan(start, length), shape),
        _ => throw new InvalidOperationException($"Elements of {elements.GetType().Name} are not a tensor's."),
    };

    private static InferenceFaultException Bad(string message, Exception? inner = null) => new(InferenceFault.BadRequest, message, inner);
}
