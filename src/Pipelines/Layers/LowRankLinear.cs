using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>A low-rank linear map, built as a composition of two linear layers, so it needs no backward of its own.</summary>
public static class LowRankLinear
{
    /// <summary>
    /// A low-rank linear map in → rank → out: U [rank, in] without bias, then V [out, rank] with the bias, named
    /// <c>u</c> and <c>v</c>; (in + out)·rank + out parameters instead of in·out + out.
    /// </summary>
    /// <param name="key">The key U and V are drawn from.</param>
    /// <param name="inFeatures">Size of each input sample.</param>
    /// <param name="outFeatures">Size of each output sample.</param>
    /// <param name="rank">The inner dimension.</param>
    /// <param name="bias">Whether V has a bias.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Chain Create(Key key, int inFeatures, int outFeatures, int rank, bool bias = true, DType dtype = DType.Float32)
    {
        var (u, v) = key.Split();
        return Chain.Named(("u", new Linear(u, inFeatures, rank, bias: false, dtype)), ("v", new Linear(v, rank, outFeatures, bias, dtype)));
    }
}
