using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Optim;

/// <summary>Adam's step count and moments per parameter, with PyTorch's state names (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>).</summary>
/// <param name="Step">The number of steps taken.</param>
/// <param name="FirstMoment">m, by parameter name.</param>
/// <param name="SecondMoment">v, by parameter name.</param>
/// <param name="MaximumSecondMoment">AMSGrad's running maximum of v, or null without AMSGrad.</param>
public sealed record AdamState(long Step, NamedTensors FirstMoment, NamedTensors SecondMoment, NamedTensors? MaximumSecondMoment) : OptimizerState
{
    /// <summary>The first state for these parameters: step 0, zero moments.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="amsgrad">Whether to keep the running maximum.</param>
    public static AdamState Zeros(NamedTensors parameters, bool amsgrad)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var zeros = parameters.Map(static (_, p) => Tensor.Zeros(p.Shape, p.DType));
        return new AdamState(0, zeros, zeros, amsgrad ? zeros : null);
    }

    /// <summary>Throws naming the first parameter this state does not fit.</summary>
    /// <param name="parameters">The parameters being updated.</param>
    public void RequireFits(NamedTensors parameters)
    {
        RequireFits("Adam", FirstMoment, parameters);
        RequireFits("Adam", SecondMoment, parameters);
        if (MaximumSecondMoment is not null)
            RequireFits("Adam", MaximumSecondMoment, parameters);
    }

    /// <inheritdoc/>
    public override void Save(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("step", Step);
        writer.Write("exp_avg", FirstMoment);
        writer.Write("exp_avg_sq", SecondMoment);
        if (MaximumSecondMoment is not null)
            writer.Write("max_exp_avg_sq", MaximumSecondMoment);
    }

    /// <inheritdoc/>
    public override OptimizerState Load(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new AdamState(
            reader.ReadCount("step"),
            reader.Read("exp_avg", FirstMoment),
            reader.Read("exp_avg_sq", SecondMoment),
            MaximumSecondMoment is null ? null : reader.Read("max_exp_avg_sq", MaximumSecondMoment));
    }
}
