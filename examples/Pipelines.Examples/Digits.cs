using System.Globalization;
using System.IO.Compression;
using Pipelines.Tensors;

namespace Pipelines.Examples;

/// <summary>The 8×8 handwritten digits shipped in Data/ (see Data/README.md), pixels scaled to [0, 1].</summary>
internal static class Digits
{
    public const int Pixels = 64;
    public const int Classes = 10;

    public static (Tensor Images, long[] Labels) Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "digits.csv.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var pixels = new List<float>();
        var labels = new List<long>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            var fields = line.Split(',');
            if (fields.Length != Pixels + 1)
                throw new InvalidDataException($"{path}: line {labels.Count + 1} has {fields.Length} fields, expected {Pixels + 1}.");
            pixels.AddRange(fields[..Pixels].Select(f => float.Parse(f, CultureInfo.InvariantCulture) / 16));
            labels.Add(long.Parse(fields[Pixels], CultureInfo.InvariantCulture));
        }
        return (Tensor.FromArray([.. pixels], labels.Count, Pixels), [.. labels]);
    }
}
