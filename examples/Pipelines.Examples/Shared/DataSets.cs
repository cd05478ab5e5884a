using Pipelines.IO;
using Pipelines.Tensors;

namespace Pipelines.Examples;

/// <summary>The real data sets the examples use (see Data/README.md), split as the project's comparisons split them.</summary>
public static class DataSets
{
    /// <summary>The 8×8 digits: pixels scaled to [0, 1], the first 1347 rows to train and the last 450 to test.</summary>
    public static (Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY) Digits()
    {
        var digits = Csv.Read(Data("digits.csv.gz"));
        var pixels = digits.Features / 16;
        return (pixels[..1347], digits.Targets![..1347], pixels[1347..], digits.Targets[1347..]);
    }

    /// <summary>Breast-cancer diagnosis: 30 standardised measurements, label 1 benign / 0 malignant; every fourth row held out.</summary>
    public static (Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY) BreastCancer()
    {
        var table = Csv.Read(Data("breast_cancer.csv"), new CsvOptions(SkipLines: 1, Target: CsvTarget.Value));
        return SplitEveryFourth(Standardise(table.Features), table.Targets!);
    }

    /// <summary>Diabetes progression: 10 standardised baseline variables and the progression a year later; every fourth row held out.</summary>
    public static (Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY) Diabetes()
    {
        var features = Csv.Read(Data("diabetes_data_raw.csv.gz"), new CsvOptions(Separator: null, Target: CsvTarget.None)).Features;
        var target = Csv.Read(Data("diabetes_target.csv.gz"), new CsvOptions(Separator: null, Target: CsvTarget.None)).Features;
        return SplitEveryFourth(Standardise(features), target);
    }

    /// <summary>The data folder next to the program.</summary>
    public static string Data(string file) => Path.Combine(AppContext.BaseDirectory, "Data", file);

    /// <summary>Each column to mean 0 and standard deviation 1.</summary>
    public static Tensor Standardise(Tensor x)
    {
        var mean = x.Mean(0);
        var std = ((x - mean) * (x - mean)).Mean(0).Sqrt() + 1e-8;
        return (x - mean) / std;
    }

    private static (Tensor, Tensor, Tensor, Tensor) SplitEveryFourth(Tensor x, Tensor y)
    {
        var rows = x.Shape[0];
        int[] test = [.. Enumerable.Range(0, rows).Where(i => i % 4 == 3)];
        int[] train = [.. Enumerable.Range(0, rows).Where(i => i % 4 != 3)];
        return (x.IndexSelect(train), y.IndexSelect(train), x.IndexSelect(test), y.IndexSelect(test));
    }
}
