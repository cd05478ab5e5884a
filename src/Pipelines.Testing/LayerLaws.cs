using FsCheck;
using FsCheck.Fluent;
using Pipelines.Autodiff;
using Pipelines.IO;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Testing;

/// <summary>
/// The laws every layer keeps, as FsCheck properties for any <see cref="Layer"/>, a user's own included. Each takes
/// the layer and the shape of one example it takes; inputs are generated around that shape (batch extents of 0, 1 and
/// primes, 1 to 3 of them). A failure's label names the law, the shrunk input, and the worst element by name and index.
/// </summary>
/// <example>
/// <code>
/// [Property]
/// public Property Gradients_are_right() =&gt; LayerLaws.Gradients(new GatedLinearUnit(new Key(1), 8), new Shape(8));
/// </code>
/// </example>
public static class LayerLaws
{
    private static readonly ForwardContext Training = ForwardContext.Training(new Key(0x7465_7374));

    /// <summary>Backward equals float64 central differences, for the input and every parameter (the layer is run in float64).</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="example">One example's shape.</param>
    /// <param name="tolerance">The largest |numeric − analytic| / (1 + |numeric|) that passes.</param>
    /// <param name="minLeadingRank">The least number of leading (batch) axes an input has.</param>
    /// <param name="maxLeadingRank">The most leading axes (1 for a layer that takes exactly [N, ...example]).</param>
    public static Property Gradients(Layer layer, Shape example, double tolerance = 1e-5, int minLeadingRank = 0, int maxLeadingRank = 3)
    {
        var wide = Wide(layer);
        return Prop.ForAll(Generate.Inputs(example, minLeadingRank: minLeadingRank, maxLeadingRank: maxLeadingRank, maxElements: 64), input =>
        {
            var report = GradCheck.Layer(wide, input.Tensor, Training, tolerance: tolerance);
            return report.Passed.Label($"{nameof(Gradients)}: backward against float64 central differences, {input}: {report}");
        });
    }

    /// <summary>Backward is linear in the output gradient: B(a·u + b·v) = a·B(u) + b·B(v), input and parameters alike.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="example">One example's shape.</param>
    /// <param name="minLeadingRank">The least number of leading (batch) axes an input has.</param>
    /// <param name="maxLeadingRank">The most leading axes (1 for a layer that takes exactly [N, ...example]).</param>
    public static Property BackwardIsLinear(Layer layer, Shape example, int minLeadingRank = 0, int maxLeadingRank = 3)
    {
        var wide = Wide(layer);
        return Prop.ForAll(Generate.Inputs(example, minLeadingRank: minLeadingRank, maxLeadingRank: maxLeadingRank), input =>
            CheckBackwardIsLinear(wide, input.Tensor) is { } failure ? false.Label($"{failure}, {input}") : true.Label(nameof(BackwardIsLinear)));
    }

    /// <summary>The linearity law at one input: null when it holds, else what failed (the properties of this kit and of the library share it).</summary>
    /// <param name="layer">The layer, in float64.</param>
    /// <param name="x">The input, float64.</param>
    public static string? CheckBackwardIsLinear(Layer layer, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var traced = layer.Forward(x, Training);
        var (u, v) = (Random(1, traced.Output.Shape), Random(2, traced.Output.Shape));
        var (dxU, gU) = layer.Backward(traced.Trace, u);
        var (dxV, gV) = layer.Backward(traced.Trace, v);
        var (dxW, gW) = layer.Backward(traced.Trace, (u * 2) - (v * 3));
        var worst = Worst([("input", dxW, (dxU * 2) - (dxV * 3)), .. Pairs(gW, (2 * gU) - (3 * gV))]);
        return worst.Error <= 1e-9 ? null : $"{nameof(BackwardIsLinear)}: B(2u − 3v) against 2·B(u) − 3·B(v): {worst}";
    }

    /// <summary>The adjoint identity ⟨dy, J·v⟩ = ⟨Jᵀ·dy, v⟩, with J·v by a central difference along a random v.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="example">One example's shape.</param>
    /// <param name="minLeadingRank">The least number of leading (batch) axes an input has.</param>
    /// <param name="maxLeadingRank">The most leading axes (1 for a layer that takes exactly [N, ...example]).</param>
    public static Property Adjoint(Layer layer, Shape example, int minLeadingRank = 0, int maxLeadingRank = 3)
    {
        var wide = Wide(layer);
        return Prop.ForAll(Generate.Inputs(example, minLeadingRank: minLeadingRank, maxLeadingRank: maxLeadingRank), input =>
            CheckAdjoint(wide, input.Tensor, Random(3, input.Shape)) is { } failure ? false.Label($"{failure}, {input}") : true.Label(nameof(Adjoint)));
    }

    /// <summary>The adjoint identity at one input and direction: null when it holds, else what failed.</summary>
    /// <param name="layer">The layer, in float64.</param>
    /// <param name="x">The input, float64.</param>
    /// <param name="v">The direction, shaped like the input.</param>
    public static string? CheckAdjoint(Layer layer, Tensor x, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var traced = layer.Forward(x, Training);
        var dy = Random(4, traced.Output.Shape);
        const double h = 1e-6;
        var jv = (layer.Forward(x + (v * h), Training).Output - layer.Forward(x - (v * h), Training).Output) / (2 * h);
        var left = (dy * jv).Sum().Item();
        var right = layer.Backward(traced.Trace, dy).Dx is { } dx ? (dx * v).Sum().Item() : 0;
        return Math.Abs(left - right) <= 1e-5 * (1 + Math.Abs(left)) ? null : $"{nameof(Adjoint)}: ⟨dy, J·v⟩ = {left:R} but ⟨Jᵀ·dy, v⟩ = {right:R}";
    }

    /// <summary>Row i of a batch's output equals the layer applied to row i alone, bitwise (evaluation mode).</summary>
    /// <param name="layer">The layer; it must treat the rows of a batch independently.</param>
    /// <param name="example">One example's shape.</param>
    /// <param name="dtype">The dtype the layer runs in.</param>
    public static Property BatchInvariant(Layer layer, Shape example, DType dtype = DType.Float32)
    {
        var model = layer.To(dtype);
        return Prop.ForAll(Generate.Inputs(example, dtype, minLeadingRank: 1, maxLeadingRank: 1, maxElements: 4096), input =>
        {
            var x = input.Tensor;
            var batch = model.Forward(x);
            for (var i = 0; i < x.Shape[0]; i++)
            {
                if (!model.Forward(x[i..(i + 1)]).BitwiseEquals(batch[i..(i + 1)]))
                    return false.Label($"{nameof(BatchInvariant)}: row {i} alone differs from row {i} of the batch, {input}");
            }
            return true.Label(nameof(BatchInvariant));
        });
    }

    /// <summary>An N-D input gives, bitwise, the 2-D result of its rows reshaped back (evaluation mode): the layer works over the last axis.</summary>
    /// <param name="layer">The layer; it must act over the last axis only.</param>
    /// <param name="features">The size of the last axis the layer takes.</param>
    /// <param name="dtype">The dtype the layer runs in.</param>
    public static Property RankInvariant(Layer layer, int features, DType dtype = DType.Float32)
    {
        var model = layer.To(dtype);
        return Prop.ForAll(Generate.Inputs(new Shape(features), dtype, minLeadingRank: 2, maxLeadingRank: 3), input =>
        {
            var x = input.Tensor;
            var full = model.Forward(x);
            var flat = model.Forward(x.Reshape(new Shape(x.Shape.LeadingCount, features)));
            var same = flat.Reshape(full.Shape).BitwiseEquals(full);
            return same.Label($"{nameof(RankInvariant)}: the N-D result differs from the reshaped 2-D one, {input}");
        });
    }

    /// <summary>
    /// Parameters form a vector space that keeps the layer's structure: L + 0 = L, L + L = 2·L and ½·(2·L) = L, bitwise
    /// (each is exact in floating point), with the same names in the same order.
    /// </summary>
    /// <param name="layer">The layer.</param>
    public static Property ParameterAlgebra(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var checks = new (string Law, Layer Left, Layer Right)[]
        {
            ("L + 0 = L", layer + layer.ZerosLike(), layer),
            ("L + L = 2·L", layer + layer, 2 * layer),
            ("½·(2·L) = L", 0.5 * (2 * layer), layer),
        };
        foreach (var (law, left, right) in checks)
        {
            if (Difference(left.NamedParameters(), right.NamedParameters()) is { } difference)
                return false.Label($"{nameof(ParameterAlgebra)}: {law} fails: {difference}");
        }
        return true.Label(nameof(ParameterAlgebra));
    }

    /// <summary>
    /// The state dict carries everything the layer's outputs depend on: the layer after a few training passes on a batch
    /// of four (buffers updated) with shifted parameters, saved as safetensors and loaded into the original, gives the
    /// same outputs, bitwise, in evaluation mode.
    /// </summary>
    /// <param name="layer">The layer.</param>
    /// <param name="example">One example's shape.</param>
    public static Property StateDictRoundTrip(Layer layer, Shape example) =>
        Prop.ForAll(Generate.Inputs(example, DType.Float32, minLeadingRank: 1, maxLeadingRank: 1), input =>
        {
            var x = input.Tensor;
            var batch = Generate.Values(new Key(input.Seed).Fold(2), new Shape([4, .. example.Dims]), DType.Float32, SpecialValues.None);
            var trained = layer.MapParameters((_, p) => p + 0.25);
            for (var i = 0; i < 3; i++)
                trained = trained.Forward(batch, ForwardContext.Training(new Key((ulong)i))).Next;
            var path = Path.Combine(Path.GetTempPath(), $"pipelines-law-{Guid.NewGuid():N}.safetensors");
            try
            {
                StateDict.Save(path, trained);
                var loaded = StateDict.Load(layer, SafeTensors.Load(path));
                var same = loaded.Forward(x).BitwiseEquals(trained.Forward(x));
                return same.Label($"{nameof(StateDictRoundTrip)}: the layer loaded from its saved state dict gives other outputs than the saved layer, {input}; is a buffer or parameter missing from Parts, or ignored by Rebuild?");
            }
            finally
            {
                File.Delete(path);
            }
        });

    /// <summary>
    /// Every path a forward pass visits (in training and in evaluation) is a layer's path that <see cref="Layer.Parts"/>
    /// names: a composite that runs a child under another name than the one it lists (a typo in
    /// <c>context.Child("...")</c>) fails this, since that child's key, taps and errors would then name nothing.
    /// </summary>
    /// <param name="layer">The layer.</param>
    /// <param name="example">One example's shape.</param>
    /// <param name="minLeadingRank">The fewest leading (batch) axes to generate.</param>
    /// <param name="maxLeadingRank">The most leading axes to generate.</param>
    public static Property PathsAreParts(Layer layer, Shape example, int minLeadingRank = 1, int maxLeadingRank = 2)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return Prop.ForAll(Generate.Inputs(example, DType.Float32, minLeadingRank, maxLeadingRank), input =>
            CheckPathsAreParts(layer, input.Tensor, new Key((ulong)input.Seed)) is { } failure ? false.Label($"{failure}, {input}") : true.Label(nameof(PathsAreParts)));
    }

    /// <summary>The check behind <see cref="PathsAreParts"/> at one input: null when it holds, else what failed.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="x">An input.</param>
    /// <param name="key">The training pass's key.</param>
    public static string? CheckPathsAreParts(Layer layer, Tensor x, Key key)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var known = new HashSet<string>(StringComparer.Ordinal);
        void Walk(Layer l, string path)
        {
            known.Add(path);
            foreach (var (name, child) in l.Parts.Children)
                Walk(child, path.Length == 0 ? name : $"{path}.{name}");
        }
        Walk(layer, "");
        var visited = new List<string>();
        foreach (var mode in new[] { ForwardContext.Training(key), ForwardContext.Evaluation })
            layer.Forward(x, mode with { Tap = (path, _, _, _) => visited.Add(path) });
        var stray = visited.FirstOrDefault(path => !known.Contains(path));
        return stray is null
            ? null
            : $"{nameof(PathsAreParts)}: the forward ran a layer at '{stray}', which Parts does not name (it names: {string.Join(", ", known.Where(k => k.Length > 0).DefaultIfEmpty("(no children)"))}); does a composite run a child under another name than the one it lists?";
    }

    /// <summary>The same key builds the same layer, bitwise; different keys build different parameters (when it has any).</summary>
    /// <param name="build">Builds the layer from a key, e.g. <c>key =&gt; new MyLayer(key, 8)</c>.</param>
    public static Property SameKeySameLayer(Func<Key, Layer> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        return Prop.ForAll(Generate.Key.ToArbitrary(), Generate.Key.ToArbitrary(), (a, b) =>
        {
            var (first, again, other) = (build(a).NamedParameters(), build(a).NamedParameters(), build(b).NamedParameters());
            if (Difference(first, again) is { } difference)
                return false.Label($"{nameof(SameKeySameLayer)}: two layers built from {a} differ: {difference}");
            var differs = a == b || first.Count == 0 || !first.Tensors.Any(t => t.Count > 1) || Difference(first, other) is not null;
            return differs.Label($"{nameof(SameKeySameLayer)}: layers built from {a} and {b} have the same parameters; is the key used?");
        });
    }

    /// <summary>
    /// The forward pass's randomness comes from the context's key alone: two training passes with the same key give the
    /// same output bitwise (a layer drawing from <c>System.Random</c> or a global generator fails this). With
    /// <paramref name="draws"/>, the layer says it draws, and eight different keys must not all give the same output on
    /// at least 64 rows (a layer that seeds its own generator, ignoring the key, fails that).
    /// </summary>
    /// <param name="layer">The layer.</param>
    /// <param name="example">One example's shape.</param>
    /// <param name="draws">Whether the layer draws in training (dropout does; batch normalisation does not).</param>
    /// <param name="maxLeadingRank">The most leading (batch) axes to generate (1 for a layer that takes one batch axis only).</param>
    public static Property KeyDeterminesRandomness(Layer layer, Shape example, bool draws = false, int maxLeadingRank = 3) =>
        Prop.ForAll(Generate.Inputs(example, DType.Float32, minLeadingRank: draws ? 1 : 0, maxLeadingRank: maxLeadingRank), Generate.Key.ToArbitrary(), (input, key) =>
        {
            var x = input.Tensor;
            if (draws)
                x = Tensor.Concat([.. Enumerable.Repeat(x, (63 / Math.Max(1, x.Shape[0])) + 1)], 0);
            var (first, second) = (layer.Forward(x, ForwardContext.Training(key)).Output, layer.Forward(x, ForwardContext.Training(key)).Output);
            if (!first.BitwiseEquals(second))
                return false.Label($"{nameof(KeyDeterminesRandomness)}: two training passes with {key} differ, {input}; does the layer draw from the context's key (context.LayerKey)?");
            var others = Enumerable.Range(1, 7).Select(i => layer.Forward(x, ForwardContext.Training(key.Fold((ulong)i))).Output);
            return (!draws || x.Count == 0 || others.Any(other => !other.BitwiseEquals(first)))
                .Label($"{nameof(KeyDeterminesRandomness)}: eight different keys gave the same draws on {x.Shape}; does the layer draw from the context's key (context.LayerKey) rather than a generator of its own?");
        });

    /// <summary>
    /// The parameter gradient of a batch is the sum of its parts' (for the loss ⟨dy, f(x)⟩), within float64 rounding: the
    /// law of gradient accumulation, for layers without batch statistics.
    /// </summary>
    /// <param name="layer">The layer.</param>
    /// <param name="example">One example's shape.</param>
    public static Property MicroBatchAdditive(Layer layer, Shape example)
    {
        var wide = Wide(layer);
        return Prop.ForAll(Generate.Inputs(example, minLeadingRank: 1, maxLeadingRank: 1), input =>
        {
            var x = input.Tensor;
            var rows = x.Shape[0];
            if (rows < 2)
                return true.Label(nameof(MicroBatchAdditive));
            var dy = Random(5, wide.Forward(x, ForwardContext.Evaluation).Output.Shape);
            Layer Gradient(int start, int length) =>
                wide.Backward(wide.Forward(x.Narrow(0, start, length), ForwardContext.Evaluation).Trace, dy.Narrow(0, start, length), inputGradient: false).Gradient;
            var whole = Gradient(0, rows);
            var parts = Gradient(0, rows / 2) + Gradient(rows / 2, rows - (rows / 2));
            var worst = Worst(Pairs(whole, parts));
            return (worst.Error <= 1e-10).Label($"{nameof(MicroBatchAdditive)}: the batch's gradient against the sum of its halves', {input}: {worst}");
        });
    }

    /// <summary>The worst disagreement between pairs of tensors: which, where, both values, and the relative error.</summary>
    internal sealed record Disagreement(string Name, int[] Index, double Left, double Right, double Error)
    {
        public override string ToString() => Name.Length == 0 ? "no elements" : $"worst {Name}[{string.Join(", ", Index)}]: {Left:R} vs {Right:R} (error {Error:E2})";
    }

    internal static Disagreement Worst(IEnumerable<(string Name, Tensor? Left, Tensor? Right)> pairs)
    {
        var worst = new Disagreement(string.Empty, [], 0, 0, 0);
        foreach (var (name, leftTensor, rightTensor) in pairs)
        {
            if (leftTensor is null || rightTensor is null)
                continue;
            if (leftTensor.Shape != rightTensor.Shape)
                return new Disagreement(name + $" (shapes {leftTensor.Shape} and {rightTensor.Shape})", [], double.NaN, double.NaN, double.PositiveInfinity);
            var (left, right) = (leftTensor.ToFloat64Array(), rightTensor.ToFloat64Array());
            for (var i = 0; i < left.Length; i++)
            {
                var error = Math.Abs(left[i] - right[i]) / (1 + Math.Abs(right[i]));
                if (double.IsNaN(error))
                    error = double.IsNaN(left[i]) && double.IsNaN(right[i]) ? 0 : double.PositiveInfinity;
                if (error > worst.Error)
                    worst = new Disagreement(name, Unravel(leftTensor.Shape, i), left[i], right[i], error);
            }
        }
        return worst;
    }

    internal static IEnumerable<(string, Tensor?, Tensor?)> Pairs(Layer left, Layer right)
    {
        var (a, b) = (left.NamedParameters(), right.NamedParameters());
        return a.Select(e => (e.Key, (Tensor?)e.Value, b.TryGetValue(e.Key, out var other) ? other : null));
    }

    internal static string? Difference(NamedTensors left, NamedTensors right)
    {
        if (left.StructureDifference(right) is { } structure)
            return structure;
        for (var i = 0; i < left.Count; i++)
        {
            if (!left[i].Value.BitwiseEquals(right[i].Value))
                return $"'{left[i].Key}' differs ({Worst([(left[i].Key, left[i].Value, right[i].Value)])})";
        }
        return null;
    }

    /// <summary>The index of flat element <paramref name="flat"/> in row-major order.</summary>
    private static int[] Unravel(Shape shape, int flat)
    {
        var index = new int[shape.Rank];
        for (var d = shape.Rank - 1; d >= 0; d--)
        {
            index[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return index;
    }

    internal static Layer Wide(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer.To(DType.Float64);
    }

    private static Tensor Random(ulong stream, Shape shape) => Tensor.Normal(new Key(0x6c61_7773).Fold(stream), shape, dtype: DType.Float64);
}
