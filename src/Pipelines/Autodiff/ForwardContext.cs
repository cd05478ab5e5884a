using System.Text;
using Pipelines.Tensors;

namespace Pipelines.Autodiff;

/// <summary>
/// What a forward pass may depend on besides its input: the <see cref="Autodiff.Mode"/> and a <see cref="Tensors.Key"/>
/// for layers that draw (dropout). Each layer draws from the key folded with its own path, so two dropout
/// layers never share a mask and the same context always gives the same masks.
/// </summary>
public sealed record ForwardContext(Mode Mode, Key Key)
{
    /// <summary>Called after every layer's forward with its path, the layer, its input and its output; it observes and cannot change results.</summary>
    public ForwardTap? Tap { get; init; }

    /// <summary>Evaluation mode; nothing draws.</summary>
    public static ForwardContext Evaluation { get; } = new(Mode.Eval, new Key(0));

    /// <summary>Training mode drawing from <paramref name="key"/>.</summary>
    public static ForwardContext Training(Key key) => new(Mode.Train, key);

    /// <summary>The key of the layer at <paramref name="path"/>: this context's key folded with a stable hash of the path.</summary>
    public Key KeyFor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // FNV-1a over the UTF-8 bytes: stable across runs and platforms, unlike string.GetHashCode.
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(path))
            hash = (hash ^ b) * 1099511628211UL;
        return Key.Fold(hash);
    }
}

/// <summary>An observer of forward passes: the layer's path (<c>encoder.2</c>, or empty for the outermost), the layer, its input and output.</summary>
public delegate void ForwardTap(string path, Layers.Layer layer, Tensor input, Tensor output);
