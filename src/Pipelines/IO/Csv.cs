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
/// <param name="SkipLines">Lines before the data (before the header, when there is one).</param>
/// <param name="Target">What the target columns hold, or <see cref="CsvTarget.None"/>.</param>
/// <param name="TargetColumn">The target's column when <paramref name="TargetNames"/> is null; negative counts from the end (−1, the last, by default).</param>
/// <param name="Header">Whether the first line after <paramref name="SkipLines"/> names the columns.</param>
/// <param name="TargetNames">The target columns by their header names (needs <paramref name="Header"/>): one for a class, any number of values.</param>
public sealed record CsvOptions(char? Separator = ',', int SkipLines = 0, CsvTarget Target = CsvTarget.Class, int TargetColumn = -1, bool Header = false, IReadOnlyList<string>? TargetNames = null);

/// <summary>
/// A numeric table: features [rows, columns] as float32, and targets if any: int64 classes [rows] (as cross-entropy
/// takes them), or float32 values [rows, targets] (as a regression loss takes them against a model's [rows, targets]
/// outputs, so one target column is [rows, 1]).
/// </summary>
/// <param name="Features">The feature columns.</param>
/// <param name="Targets">The target columns, or null.</param>
/// <param name="FeatureNames">The feature columns' header names, when the file has a header.</param>
/// <param name="TargetNames">The target columns' header names, when the file has a header.</param>
public sealed record CsvData(Tensor Features, Tensor? Targets, IReadOnlyList<string>? FeatureNames = null, IReadOnlyList<string>? TargetNames = null);

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
        if (options.TargetNames is not null && (!options.Header || options.Target == CsvTarget.None))
            throw new ArgumentException("CsvOptions.TargetNames picks columns by their header names: it needs Header: true and a Target kind other than None.", nameof(options));
        if (options.TargetNames is { Count: not 1 } && options.Target == CsvTarget.Class)
            throw new ArgumentException($"CsvOptions.TargetNames: a class target is one column, but {options.TargetNames.Count} names were given.", nameof(options));
        var lineNumber = options.SkipLines;
        string[]? names = null;
        if (options.Header)
        {
            lineNumber++;
            names = reader.ReadLine() is { } header ? Split(header, options.Separator) : throw Format(path, lineNumber, "the file ends before its header line");
        }
        var (features, targets) = (new List<float>(), new List<double>());
        int? width = names?.Length;
        int[]? targetColumns = null;
        var rows = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            var fields = Split(line, options.Separator);
            width ??= fields.Length;
            if (fields.Length != width)
                throw Format(path, lineNumber, names is null ? $"it has {fields.Length} fields but the first data line has {width}" : $"it has {fields.Length} fields but the header names {width} columns");
            targetColumns ??= TargetColumns(path, lineNumber, options, names, fields.Length);
            for (var f = 0; f < fields.Length; f++)
            {
                if (!double.TryParse(fields[f], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw Format(path, lineNumber, $"field {f + 1}{(names is null ? string.Empty : $" ('{names[f]}')")} ('{(fields[f].Length > 40 ? fields[f][..40] + "…" : fields[f])}') is not a number");
                if (Array.IndexOf(targetColumns, f) < 0)
                    features.Add((float)value);
                else if (options.Target == CsvTarget.Class && (value != Math.Floor(value) || value < 0 || value > int.MaxValue))
                    throw Format(path, lineNumber, $"the class in field {f + 1} is {value}, not a non-negative integer");
                else
                    targets.Add(value);
            }
            rows++;
        }
        targetColumns ??= names is null ? [] : TargetColumns(path, lineNumber, options, names, names.Length);
        var columns = (width ?? 0) - targetColumns.Length;
        return new CsvData(
            Tensor.FromSpan(features.ToArray(), new Shape(rows, columns)),
            options.Target switch
            {
                CsvTarget.None => null,
                CsvTarget.Class => Tensor.FromSpan(targets.Select(t => (long)t).ToArray(), new Shape(rows)),
                _ => Tensor.FromSpan(targets.Select(t => (float)t).ToArray(), new Shape(rows, targetColumns.Length)),
            },
            names?.Where((_, i) => Array.IndexOf(targetColumns, i) < 0).ToArray(),
            names is null ? null : [.. targetColumns.Order().Select(i => names[i])]);
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

    private static string[] Split(string line, char? separator) =>
        separator is { } s ? [.. line.Split(s).Select(f => f.Trim())] : line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The target columns' places, in file order: by header name, or the one <see cref="CsvOptions.TargetColumn"/>.</summary>
    private static int[] TargetColumns(string path, int line, CsvOptions options, string[]? names, int width)
    {
        if (options.Target == CsvTarget.None)
            return [];
        if (options.TargetNames is { } wanted)
        {
            var missing = wanted.FirstOrDefault(n => Array.IndexOf(names!, n) < 0);
            if (missing is not null)
                throw Format(path, options.SkipLines + 1, $"the header has no column '{missing}'; its columns are {string.Join(", ", names!)}");
            return [.. wanted.Select(n => Array.IndexOf(names!, n)).Distinct().Order()];
        }
        var target = options.TargetColumn < 0 ? width + options.TargetColumn : options.TargetColumn;
        return target >= 0 && target < width ? [target] : throw Format(path, line, $"target column {options.TargetColumn} is outside its {width} fields");
    }

    private static DataSetFormatException Format(string path, int line, string rule) => new($"Not a valid CSV data set ({path}, line {line}): {rule}.");
}
