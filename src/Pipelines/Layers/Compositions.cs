using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>Networks that are plain compositions of other layers, so they need no backward of their own.</summary>
public static class Compositions
{
    /// <summary>
    /// A low-rank linear map in → rank → out: U [rank, in] without bias, then V [out, rank] with the bias, named
    /// <c>u</c> and <c>v</c>; (in + out)·rank + out parameters instead of in·out + out.
    /// </summary>
    public static Chain LowRankLinear(Key key, int inFeatures, int outFeatures, int rank, bool bias = true, DType dtype = DType.Float32)
    {
        var (u, v) = key.Split();
        return Chain.Named(("u", new Linear(u, inFeatures, rank, bias: false, dtype)), ("v", new Linear(v, rank, outFeatures, bias, dtype)));
    }
}
