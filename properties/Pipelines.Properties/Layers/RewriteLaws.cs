using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Properties.Layers;

/// <summary>Sizes and a seed for a rewrite law.</summary>
public sealed record RewriteCase(int In, int Mid, int Out, int Rows, bool Bias, ulong Seed)
{
    public Key Key => new(Seed);

    public Tensor Input => Tensor.Normal(Key.Fold(9), new Shape(Rows, In));

    public override string ToString() => $"RewriteCase(in {In}, mid {Mid}, out {Out}, rows {Rows}, bias {Bias}, seed {Seed})";
}

public static class RewriteArbitraries
{
    public static Arbitrary<RewriteCase> Cases() =>
        (from inFeatures in Gen.Elements(1, 2, 3, 5, 8, 13, 31, 64)
         from mid in Gen.Elements(1, 2, 3, 5, 8, 13, 31, 64)
         from outFeatures in Gen.Elements(1, 2, 3, 5, 8, 13)
         from rows in Gen.Elements(1, 3, 7)
         from bias in Gen.Elements(true, false)
         from seed in Generators.Seed
         select new RewriteCase(inFeatures, mid, outFeatures, rows, bias, seed)).ToArbitrary();
}

/// <summary>
/// Each inference rewrite equals the original model: bitwise where nothing numerical changes (dropping layers), else
/// within 2·(K + 3)·u·Σ|terms| per element (see <see cref="Rewrites"/>), u = 2⁻²⁴.
/// </summary>
[Properties(Arbitrary = [typeof(RewriteArbitraries)], MaxTest = 60)]
public sealed class RewriteLaws
{
    private const double Unit = 1.0 / (1 << 24);

    [Property]
    public Property Dropping_dropout_and_identity_changes_no_bit(RewriteCase c)
    {
        var model = new Chain(new Linear(c.Key.Fold(1), c.In, c.Mid, c.Bias), new Dropout(0.4), new ReLU(), new Identity(), new Linear(c.Key.Fold(2), c.Mid, c.Out));
        var rewritten = Rewrites.DropInactive(model);
        var remaining = ((Chain)rewritten.Model).Layers.Select(l => l.GetType().Name);
        return (rewritten.Model.Forward(c.Input).BitwiseEquals(model.Forward(c.Input)) && remaining.SequenceEqual(["Linear", "ReLU", "Linear"])).Label($"{c}: {rewritten}");
    }

    [Property]
    public Property Folding_BatchNorm_stays_within_the_bound(RewriteCase c)
    {
        var linear = new Linear(c.Key.Fold(1), c.In, c.Out, c.Bias);
        var k = c.Key.Split(4);
        var norm = new BatchNorm1d(c.Out, Tensor.Uniform(k[0], new Shape(c.Out), 0.5, 2), Tensor.Normal(k[1], new Shape(c.Out)), Tensor.Normal(k[2], new Shape(c.Out)), Tensor.Uniform(k[3], new Shape(c.Out), 0.1, 3), Tensor.Scalar(10, DType.Int64));
        var rewritten = Rewrites.FoldBatchNorm(linear >> norm);
        var scale = (norm.Weight! / (norm.RunningVar! + norm.Eps).Sqrt()).Abs().ToFloat64Array();
        // Σ|terms|: |s|·(|W|·|x| + |b| + |μ|) + |β|.
        var terms = Abs(linear.Weight, c.Input, linear.Bias, norm.RunningMean);
        for (var i = 0; i < terms.Length; i++)
            terms[i] = (scale[i % c.Out] * terms[i]) + Math.Abs(norm.Bias!.ToFloat64Array()[i % c.Out]);
        return Within(rewritten, linear >> norm, c, c.In, terms);
    }

    [Property]
    public Property Fusing_linears_stays_within_the_bound_or_is_refused_when_it_grows_the_work(RewriteCase c)
    {
        var (first, second) = (new Linear(c.Key.Fold(1), c.In, c.Mid, c.Bias), new Linear(c.Key.Fold(2), c.Mid, c.Out));
        var model = first >> second;
        var rewritten = Rewrites.FuseLinears(model);
        if ((long)c.In * c.Out >= ((long)c.In * c.Mid) + ((long)c.Mid * c.Out))
            return (rewritten.Applied.IsEmpty && rewritten.Refused.Single().Contains("kept apart", StringComparison.Ordinal)).Label(c.ToString());
        // Σ|terms|: |W₂|·(|W₁|·|x| + |b₁|) + |b₂|.
        var inner = Tensor.FromSpan(Abs(first.Weight, c.Input, first.Bias, null), new Shape(c.Rows, c.Mid)).To(DType.Float64);
        var terms = Abs(second.Weight, inner, second.Bias, null);
        return Within(rewritten, model, c, c.In + c.Mid, terms);
    }

    [Property]
    public Property Merging_LoRA_stays_within_the_bound(RewriteCase c)
    {
        var rank = Math.Max(1, Math.Min(c.Mid, 8));
        var lora = new LoRA(new Linear(c.Key.Fold(1), c.In, c.Out, c.Bias), new Linear(c.Key.Fold(2), c.In, rank, bias: false), new Linear(c.Key.Fold(3), rank, c.Out, bias: false), alpha: 2);
        var rewritten = Rewrites.MergeLoRA(lora);
        // Σ|terms|: |W|·|x| + |b| + s·|B|·(|A|·|x|).
        var inner = Tensor.FromSpan(Abs(lora.A.Weight, c.Input, null, null), new Shape(c.Rows, rank)).To(DType.Float64);
        var adapter = Abs(lora.B.Weight, inner, null, null);
        var terms = Abs(lora.Base.Weight, c.Input, lora.Base.Bias, null).Select((t, i) => t + (2.0 / rank * adapter[i])).ToArray();
        return Within(rewritten, lora, c, c.In + rank, terms);
    }

    private static Property Within(RewriteResult rewritten, Layer original, RewriteCase c, int reduction, double[] terms)
    {
        var (left, right) = (rewritten.Model.Forward(c.Input).ToFloat64Array(), original.Forward(c.Input).ToFloat64Array());
        for (var i = 0; i < left.Length; i++)
        {
            var bound = 2 * (reduction + 3) * Unit * terms[i];
            if (Math.Abs(left[i] - right[i]) > bound)
                return false.Label($"{c}: element {i}: {left[i]:R} vs {right[i]:R}, difference {Math.Abs(left[i] - right[i]):E2} over the bound {bound:E2}; {rewritten}");
        }
        return (rewritten.Applied.Length == 1).Label($"{c}: {rewritten}");
    }

    /// <summary>|W|·|x| + |b| + |c| per output element, in float64, for x [rows, in] and W [out, in].</summary>
    private static double[] Abs(Tensor weight, Tensor x, Tensor? bias, Tensor? shift)
    {
        var (w, v) = (weight.ToFloat64Array(), x.ToFloat64Array());
        var (outputs, inputs, rows) = (weight.Shape[0], weight.Shape[1], x.Shape[0]);
        var (b, s) = (bias?.ToFloat64Array(), shift?.ToFloat64Array());
        var result = new double[rows * outputs];
        for (var r = 0; r < rows; r++)
        {
            for (var o = 0; o < outputs; o++)
            {
                var sum = Math.Abs(b?[o] ?? 0) + Math.Abs(s?[o] ?? 0);
                for (var k = 0; k < inputs; k++)
                    sum += Math.Abs(w[(o * inputs) + k] * v[(r * inputs) + k]);
                result[(r * outputs) + o] = sum;
            }
        }
        return result;
    }
}
