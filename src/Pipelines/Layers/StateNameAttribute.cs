namespace Pipelines.Layers;

/// <summary>
/// The state-dict name of a layer record's property where it must differ from the snake-case name the generated
/// <see cref="Layer.Parts"/> gives it (PyTorch's <c>in_proj_weight</c> for a property you call <c>InputProjection</c>).
/// On a positional record parameter, it applies to the property.
/// </summary>
/// <param name="name">The name, without dots.</param>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, Inherited = false)]
public sealed class StateNameAttribute(string name) : Attribute
{
    /// <summary>The state-dict name.</summary>
    public string Name { get; } = name;
}
