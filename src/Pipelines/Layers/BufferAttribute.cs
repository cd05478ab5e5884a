namespace Pipelines.Layers;

/// <summary>
/// Marks a layer record's <see cref="Tensors.Tensor"/> property as a buffer (saved state that is not trained, such as
/// running statistics) for the generated <see cref="Layer.Parts"/>; unmarked tensors are parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, Inherited = false)]
public sealed class BufferAttribute : Attribute;
