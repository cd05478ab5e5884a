using System.Globalization;
using System.Text;

namespace Pipelines.Tensors;

public sealed partial class Tensor
{
    private const int LineWidth = 80;
    private const int SummaryThreshold = 1000;
    private const int EdgeItems = 3;

    /// <summary>
    /// Prints as PyTorch does: <c>tensor([[1.0000, 2.5000], [...]])</c> with four decimals, whole numbers as <c>1.</c>,
    /// scientific notation when magnitudes span more than 1000×, rows wrapped at 80 columns, tensors of more than
    /// 1000 elements summarised with <c>...</c>, <c>dtype=torch.float64</c> for float64, and int64 as plain integers.
    /// </summary>
    public override string ToString()
    {
        var suffix = DType == DType.Float64 ? ", dtype=torch.float64" : string.Empty;
        if (Count == 0)
        {
            var size = Rank == 1 ? string.Empty : ", size=(" + string.Join(", ", Shape.Dims.ToArray()) + ")";
            return $"tensor([]{size}{suffix})";
        }
        var values = ToFloat64Array();
        var summarize = Count > SummaryThreshold;
        var format = DType == DType.Int64 ? ElementFormat.ForIntegers(AsSpan<long>(), values) : ElementFormat.For(values, Shape, summarize);
        var builder = new StringBuilder("tensor(");
        AppendAxis(builder, values, 0, 0, "tensor(".Length, format, summarize);
        return builder.Append(suffix).Append(')').ToString();
    }

    private void AppendAxis(StringBuilder builder, double[] values, int axis, int offset, int indent, ElementFormat format, bool summarize)
    {
        if (axis == Rank)
        {
            builder.Append(format.Format(values[offset]));
            return;
        }
        var extent = Shape.Dims[axis];
        var stride = new Shape(Shape.Dims[(axis + 1)..]).ElementCount;
        var indices = VisibleIndices(extent, summarize);
        builder.Append('[');
        if (axis == Rank - 1)
        {
            var perLine = Math.Max(1, (LineWidth - indent) / (format.Width + 2));
            for (var k = 0; k < indices.Count; k++)
            {
                if (k > 0)
                    builder.Append(k % perLine == 0 ? ",\n" + new string(' ', indent + 1) : ", ");
                builder.Append(indices[k] < 0 ? " ..." : format.Format(values[offset + (indices[k] * stride)]));
            }
        }
        else
        {
            var separator = "," + new string('\n', Rank - axis - 1) + new string(' ', indent + 1);
            for (var k = 0; k < indices.Count; k++)
            {
                if (k > 0)
                    builder.Append(separator);
                if (indices[k] < 0)
                    builder.Append("...");
                else
                    AppendAxis(builder, values, axis + 1, offset + (indices[k] * stride), indent + 1, format, summarize);
            }
        }
        builder.Append(']');
    }

    /// <summary>The indices printed along an axis; -1 stands for the ellipsis of a summarised axis.</summary>
    private static List<int> VisibleIndices(int extent, bool summarize)
    {
        if (!summarize || extent <= 2 * EdgeItems)
            return [.. Enumerable.Range(0, extent)];
        return [.. Enumerable.Range(0, EdgeItems), -1, .. Enumerable.Range(extent - EdgeItems, EdgeItems)];
    }

    /// <summary>PyTorch's choice of number format for a whole tensor: integer, fixed or scientific, padded to one width.</summary>
    private sealed class ElementFormat
    {
        private readonly Func<double, string> _format;

        private ElementFormat(Func<double, string> format, IEnumerable<double> nonzeroFinite)
        {
            _format = format;
            Width = nonzeroFinite.Select(v => format(v).Length).Append(1).Max();
        }

        public int Width { get; }

        /// <summary>As PyTorch prints integer tensors: every value in full, padded to the widest (values are read from the exact longs).</summary>
        public static ElementFormat ForIntegers(ReadOnlySpan<long> exact, double[] values)
        {
            var text = new Dictionary<double, string>();
            foreach (var v in exact)
                text.TryAdd(v, v.ToString(CultureInfo.InvariantCulture));
            return new ElementFormat(v => text[v], values);
        }

        public static ElementFormat For(double[] values, Shape shape, bool summarize)
        {
            // As torch/_tensor_str.py: the mode and the width come from the nonzero finite values only.
            var shown = summarize ? ShownValues(values, shape) : values;
            var nonzeroFinite = shown.Where(v => double.IsFinite(v) && v != 0).ToArray();
            if (nonzeroFinite.Length == 0)
                return new ElementFormat(Fixed0, nonzeroFinite);
            var max = nonzeroFinite.Max(Math.Abs);
            var min = nonzeroFinite.Min(Math.Abs);
            var wide = max / min > 1000 || max > 1e8;
            if (nonzeroFinite.All(v => v == Math.Ceiling(v)))
                return new ElementFormat(wide ? Scientific : Fixed0, nonzeroFinite);
            return new ElementFormat(wide || min < 1e-4 ? Scientific : Fixed4, nonzeroFinite);
        }

        public string Format(double value) => Text(value).PadLeft(Width);

        private string Text(double value) => double.IsNaN(value) ? "nan"
            : double.IsPositiveInfinity(value) ? "inf"
            : double.IsNegativeInfinity(value) ? "-inf"
            : _format(value);

        private static string Fixed0(double v) => v.ToString("0", CultureInfo.InvariantCulture) + ".";

        private static string Fixed4(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);

        private static string Scientific(double v) => v.ToString("0.0000e+00", CultureInfo.InvariantCulture);

        /// <summary>The elements a summarised print shows: the first and last few along every axis.</summary>
        private static double[] ShownValues(double[] values, Shape shape)
        {
            var shown = new List<double>();
            Collect(0, 0);
            return [.. shown];

            void Collect(int axis, int offset)
            {
                if (axis == shape.Rank)
                {
                    shown.Add(values[offset]);
                    return;
                }
                var stride = new Shape(shape.Dims[(axis + 1)..]).ElementCount;
                foreach (var i in VisibleIndices(shape.Dims[axis], summarize: true).Where(i => i >= 0))
                    Collect(axis + 1, offset + (i * stride));
            }
        }
    }
}
