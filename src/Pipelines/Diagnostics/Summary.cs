using System.Globalization;
using System.Text;
using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Diagnostics;

/// <summary>One row of a model summary: a layer's path, type, output shape for the summarised input, and its own parameter count.</summary>
/// <param name="Name">The layer's path, or <c>(model)</c> for the whole.</param>
/// <param name="Type">The layer's type name.</param>
/// <param name="OutputShape">Its output's shape for the summarised input.</param>
/// <param name="Parameters">How many parameter elements the layer itself holds (not its children).</param>
public sealed record SummaryRow(string Name, string Type, Shape OutputShape, long Parameters);

/// <summary>
/// A model's layers with their output shapes for a given input shape and parameter counts, like torchinfo's summary:
/// found by running the model once in evaluation mode on zeros and tapping every layer.
/// </summary>
/// <param name="Rows">One row per layer, parents first.</param>
/// <param name="TotalParameters">Every parameter element of the model.</param>
/// <param name="TrainableParameters">Those counted as trainable.</param>
public sealed record Summary(IReadOnlyList<SummaryRow> Rows, long TotalParameters, long TrainableParameters)
{
    /// <summary>Summarises <paramref name="model"/> for input of <paramref name="inputShape"/>; <paramref name="trainable"/> picks trainable parameters by name (default all).</summary>
    /// <param name="model">The model.</param>
    /// <param name="inputShape">The shape of an input batch.</param>
    /// <param name="dtype">The input's dtype.</param>
    /// <param name="trainable">Which parameters count as trainable, by name; null for all.</param>
    public static Summary Of(Layer model, Shape inputShape, DType dtype = DType.Float32, Func<string, bool>? trainable = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var rows = new List<SummaryRow>();
        var context = ForwardContext.Evaluation with
        {
            // Each row counts the layer's own parameters; its children have rows of their own.
            Tap = (path, layer, _, output) => rows.Add(new SummaryRow(path.Length == 0 ? "(model)" : path, layer.GetType().Name, output.Shape, layer.Parts.Parameters.Sum(p => (long)p.Tensor.Count))),
        };
        model.Forward(Tensor.Zeros(inputShape, dtype), context);
        // Children finish before their parent, so the taps arrive in post-order; show parents first, as PyTorch does.
        var ordered = rows.OrderBy(r => r.Name == "(model)" ? string.Empty : r.Name, PathComparer.Instance).ToList();
        var parameters = model.NamedParameters();
        return new Summary(ordered, parameters.ElementCount, parameters.Where(p => trainable?.Invoke(p.Key) ?? true).Sum(p => (long)p.Value.Count));
    }

    /// <summary>The summary as a fixed-width table with totals.</summary>
    public override string ToString()
    {
        var nameWidth = Math.Max(12, Rows.Max(r => r.Name.Length) + 2);
        var typeWidth = Math.Max(10, Rows.Max(r => r.Type.Length) + 2);
        var shapeWidth = Math.Max(14, Rows.Max(r => r.OutputShape.ToString().Length) + 2);
        var rule = new string('─', nameWidth + typeWidth + shapeWidth + 14);
        var text = new StringBuilder();
        text.AppendLine(rule);
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{"Layer".PadRight(nameWidth)}{"Type".PadRight(typeWidth)}{"Output shape".PadRight(shapeWidth)}{"Parameters",14}"));
        text.AppendLine(rule);
        foreach (var r in Rows)
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{r.Name.PadRight(nameWidth)}{r.Type.PadRight(typeWidth)}{r.OutputShape.ToString().PadRight(shapeWidth)}{r.Parameters,14:N0}"));
        text.AppendLine(rule);
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Total parameters: {TotalParameters:N0}"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Trainable parameters: {TrainableParameters:N0}"));
        text.Append(string.Create(CultureInfo.InvariantCulture, $"Non-trainable parameters: {TotalParameters - TrainableParameters:N0}"));
        return text.ToString();
    }

    /// <summary>Orders dotted paths segment by segment, numbers numerically: 2 before 10, encoder.2 before encoder.10.</summary>
    private sealed class PathComparer : IComparer<string>
    {
        public static PathComparer Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            var (a, b) = ((x ?? string.Empty).Split('.'), (y ?? string.Empty).Split('.'));
            for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                var order = int.TryParse(a[i], out var p) && int.TryParse(b[i], out var q) ? p.CompareTo(q) : string.CompareOrdinal(a[i], b[i]);
                if (order != 0)
                    return order;
            }
            return (x?.Length == 0 ? 0 : a.Length).CompareTo(y?.Length == 0 ? 0 : b.Length);
        }
    }
}
