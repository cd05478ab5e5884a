using Pipelines.Layers;

namespace Pipelines.Serving;

/// <summary>The models a server serves, by name; inject it to swap a model while the server runs.</summary>
public interface IInferenceModels
{
    /// <summary>The served models' names, in the order they were added.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The version <paramref name="name"/> serves now.</summary>
    /// <param name="name">A served model's name.</param>
    /// <exception cref="KeyNotFoundException">No model of that name is served.</exception>
    string VersionOf(string name);

    /// <summary>
    /// Puts <paramref name="model"/> live as the next version of <paramref name="name"/> once it has been checked (one
    /// example through it, with the same output as the version it replaces). Requests already taken finish on the
    /// version they started with; every later one goes to the new version. Returns the new version's name.
    /// </summary>
    /// <param name="name">A served model's name.</param>
    /// <param name="model">The new model, of the same signature.</param>
    /// <exception cref="ArgumentException">The model does not take the served input or gives another output; nothing changes.</exception>
    string Swap(string name, Layer model);
}
