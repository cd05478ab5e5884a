using Pipelines.Dataflow;
using Pipelines.Layers;
using Pipelines.Optim;
using Xunit;

namespace Pipelines.Orleans.Tests;

/// <summary>Bitwise comparison of two runs' results: parameters, buffers and optimizer state, entry by entry.</summary>
internal static class Bits
{
    public static void Equal<TModel>(TrainingResult<TModel> expected, TrainingResult<TModel> actual)
        where TModel : Layer
    {
        Equal("parameter", expected.Model.NamedParameters(), actual.Model.NamedParameters());
        Equal("buffer", expected.Model.NamedBuffers(), actual.Model.NamedBuffers());
        Equal("optimizer state", new NamedTensors(OptimizerStates.ToTensors(expected.State)), new NamedTensors(OptimizerStates.ToTensors(actual.State)));
        Assert.Equal(expected.Steps, actual.Steps);
    }

    public static bool Same<TModel>(TrainingResult<TModel> expected, TrainingResult<TModel> actual)
        where TModel : Layer
    {
        Equal(expected, actual);
        return true;
    }

    private static void Equal(string what, NamedTensors expected, NamedTensors actual)
    {
        Assert.Equal(expected.Names, actual.Names);
        Assert.NotEmpty(expected.Names);
        foreach (var (name, tensor) in expected)
            Assert.True(tensor.BitwiseEquals(actual[name]), $"{what} '{name}' differs: {tensor} against {actual[name]}");
    }
}
