using System.Text;
using Pipelines.Kernels;
using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// What a forward pass may depend on besides its input: the <see cref="Layers.Mode"/>, a <see cref="Tensors.Key"/> for
/// layers that draw (dropout), the path of the layer being run (<c>encoder.2</c>; empty at the root), and an optional
/// tap. A composite runs a child with <c>child.Forward(x, context.Child("name"))</c>, so every layer, in this library
/// or outside it, gets its own path, its own key (<see cref="LayerKey"/>), its taps and errors that name it.
/// </summary>
/// <param name="Mode">Training or evaluation.</param>
/// <param name="Key">The key of the whole pass; each layer draws from it folded with its path.</param>
public sealed record ForwardContext(Mode Mode, Key Key)
{
    /// <summary>The dotted path of the layer this context is given to (<c>encoder.2</c>; empty for the outermost layer).</summary>
    public string Path { get; init; } = LayerPath.Root;

    /// <summary>Called after every layer's forward with its path, the layer, its input and its output; it observes and cannot change results.</summary>
    public ForwardTap? Tap { get; init; }

    /// <summary>
    /// Arrays the caller gives up for this pass's weight gradients (the trainer's last step's spent gradients); null to
    /// allocate. It changes where gradients are written, never their values, and children inherit it.
    /// </summary>
    internal DonatedArrays? Donated { get; init; }

    /// <summary>Evaluation mode; nothing draws.</summary>
    public static ForwardContext Evaluation { get; } = new(Mode.Eval, new Key(0));

    /// <summary>
    /// The key of the layer at <see cref="Path"/>: the pass's key folded with a stable hash of the path, so two layers
    /// never share random draws and the same context always gives the same draws.
    /// </summary>
    public Key LayerKey
    {
        get
        {
            // FNV-1a over the UTF-8 bytes: stable across runs and platforms, unlike string.GetHashCode.
            var hash = 14695981039346656037UL;
            foreach (var b in Encoding.UTF8.GetBytes(Path))
                hash = (hash ^ b) * 1099511628211UL;
            return Key.Fold(hash);
        }
    }

    /// <summary>Training mode drawing from <paramref name="key"/>.</summary>
    /// <param name="key">The key of the pass.</param>
    public static ForwardContext Training(Key key) => new(Mode.Train, key);

    /// <summary>The context for the child named <paramref name="name"/> of the layer at <see cref="Path"/>.</summary>
    /// <param name="name">The child's name, as its parameters are prefixed (<c>0</c>, <c>encoder</c>, <c>fn</c>).</param>
    public ForwardContext Child(string name) => this with { Path = LayerPath.Join(Path, name) };
}

/// <summary>An observer of forward passes.</summary>
/// <param name="path">The layer's path (<c>encoder.2</c>, or empty for the outermost).</param>
/// <param name="layer">The layer.</param>
/// <param name="input">Its input.</param>
/// <param name="output">Its output.</param>
public delegate void ForwardTap(string path, Layer layer, Tensor input, Tensor output);
