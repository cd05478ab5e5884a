using System.Globalization;
using System.IO.Compression;
using Pipelines.Tensors;

namespace Pipelines.IO;

/// <summary>What a target column holds.</summary>
public enum CsvTarget
{
    /// <summary>No target column: every column is a feature.</summary>
    None,

    /// <summary>A class index, read as int64 (for cross-entropy).</summary>
    Class,

    /// <summary>A value, read as float32 (for regression).</summary>
    Value,
}

/// <summary>How to read a numeric CSV file.</summary>
/// <param name="Separator">The field separator; null for runs of whitespace.</param>
/// <param name="SkipLines">Lines before the data (a header).</param>
/// <param name="Target">What the target column holds, or <see cref="CsvTarget.None"/>.</param>
/// <param name="TargetColumn">The target's column; negative counts from the end (−1, the last, by default).</param>
public sealed record CsvOptions(char? Separator = ',', int SkipLines = 0, CsvTarget Target = CsvTarget.Class, int TargetColumn = -1);

/// <summary>A numeric table: features [rows, columns] as float32, and targets [rows] (int64 classes or float32 values) if any.</summary>
/// <param name="Features">The feature columns.</param>
/// <param name="Targets">The target column, or null.</param>
public sealed record CsvData(Tensor Features, Tensor? Targets);

/// <summary>
/// Numeric CSV files (plain or gzipped) into tensors, as the small real data sets ship: every row the same number of
/// fields, invariant-culture numbers. A <see cref="DataSetFormatException"/> names the file, line and field at fault.
/// </summary>
public static class Csv
{
    /// <summary>The table in <paramref name="path"/>.</summary>
    /// <param name="path">The file; a name ending in <c>.gz</c> is decompressed.</param>
    /// <param name="options">Separator, header lines and target column; null for comma-separated with the class in the last column.</param>
    public static CsvData Read(string path, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new CsvOptions();
        using var file = File.OpenRead(path);
        using var reader = new StreamReader(path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file);
        for (var i = 0; i < options.SkipLines; i++)
        {
            if (reader.ReadLine() is null)
                throw Format(path, i + 1, $"the file ends within its {options.SkipLines} header lines");
        }
        var (features, targets) = (new List<float>(), new List<double>());
        int? width = null;
        var (rows, lineNumber) = (0, options.SkipLines);
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            var fields = options.Separator is { } separator ? line.Split(separator) : line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            width ??= fields.Length;
            if (fields.Length != width)
                throw Format(path, lineNumber, $"it has {fields.Length} fields but the first data line has {width}");
            var target = options.Target == CsvTarget.None ? -1 : options.TargetColumn < 0 ? fields.Length + options.TargetColumn : options.TargetColumn;
            if (options.Target != CsvTarget.None && (target < 0 || target >= fields.Length))
                throw Format(path, lineNumber, $"target column {options.TargetColumn} is outside its {fields.Length} fields");
            for (var f = 0; f < fields.Length; f++)
            {
                if (!double.TryParse(fields[f], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw Format(path, lineNumber, $"field {f + 1} ('{(fields[f].Length > 40 ? fields[f][..40] + "…" : fields[f])}') is not a number");
                if (f != target)
                    features.Add((float)value);
                else if (options.Target == CsvTarget.Class && (value != Math.Floor(value) || value < 0 || value > int.MaxValue))
                    throw Format(path, lineNumber, $"the class in field {f + 1} is {value}, not a non-negative integer");
                else
                    targets.Add(value);
            }
            rows++;
        }
        var columns = (width ?? 0) - (options.Target == CsvTarget.None || width is null ? 0 : 1);
        return new CsvData(
            Tensor.FromSpan(features.ToArray(), new Shape(rows, columns)),
            options.Target switch
            {
                CsvTarget.None => null,
                CsvTarget.Class => Tensor.FromSpan(targets.Select(t => (long)t).ToArray(), new Shape(rows)),
                _ => Tensor.FromSpan(targets.Select(t => (float)t).ToArray(), new Shape(rows)),
            });
    }

    /// <summary>The table in <paramref name="path"/>, or the failure: never throws, whatever the file holds.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">As for <see cref="Read"/>.</param>
    public static Result<CsvData> TryRead(string path, CsvOptions? options = null)
    {
        try
        {
            return Result.Success(Read(path, options));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or FormatException or InvalidDataException)
        {
            return Result.Fail<CsvData>(Failure.From(e));
        }
    }

    private static DataSetFormatException Format(string path, int line, string rule) => new($"Not a valid CSV data set ({path}, line {line}): {rule}.");
}
