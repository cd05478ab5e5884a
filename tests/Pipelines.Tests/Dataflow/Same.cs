using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Tests.Dataflow;

/// <summary>Model comparisons for the trainer tests: every parameter and buffer by name, never a zip that stops early.</summary>
internal static class Same
{
    /// <summary>Null when both have the same tensors by name and every pair agrees (bitwise by default); else the first difference.</summary>
    public static string? Tensors(Layer a, Layer b, Func<Tensor, Tensor, bool>? agree = null)
    {
        agree ??= (x, y) => x.BitwiseEquals(y);
        var (p, q) = (a.NamedParameters().Concat(a.NamedBuffers()).ToList(), b.NamedParameters().Concat(b.NamedBuffers()).ToList());
        if (!p.Select(e => e.Key).SequenceEqual(q.Select(e => e.Key)))
            return $"names differ: {string.Join(", ", p.Select(e => e.Key))} vs {string.Join(", ", q.Select(e => e.Key))}";
        return p.Zip(q).Where(e => !agree(e.First.Value, e.Second.Value)).Select(e => $"'{e.First.Key}' differs").FirstOrDefault();
    }

    /// <summary>Equal within a relative tolerance.</summary>
    public static bool Close(Tensor a, Tensor b, double tolerance) => a.AllClose(b, tolerance, tolerance);
}
